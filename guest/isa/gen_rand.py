#!/usr/bin/env python3
"""Random straight-line (and short forward-branching) code for the
differential checks: gen_rand.py riscv64|aarch64 SEED FUNCS LEN > rand_asm.S

rand_run_N(uint64_t *s): s[0..31] are the registers' starting values; the
sequence runs; the registers are stored back into s[0..31] (and the AArch64
flags into s[32]). s[64..575] (4 KiB) is memory the sequence loads from and
stores to, at every alignment, with the base in a register it never writes.
"""
import random
import sys

arch, seed, nfuncs, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
out = []
emit = out.append


def rv_imm(bits):
    lo = -(1 << (bits - 1))
    hi = (1 << (bits - 1)) - 1
    return rng.choice([lo, hi, 0, 1, -1, rng.randint(lo, hi), rng.randint(-8, 8)])


def riscv_func(n):
    # a0 = s (never written), a1 = s + 512 + 2048 (the middle of the memory; never written)
    regs = [r for r in range(5, 32) if r not in (10, 11)]
    R = lambda: 'x%d' % rng.choice(regs)
    S = lambda: 'x%d' % rng.choice(regs + [0])
    emit('\t.globl rand_run_%d\n\t.type rand_run_%d, @function\nrand_run_%d:' % (n, n, n))
    emit('\taddi sp, sp, -112')
    for i, r in enumerate([1, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]):
        emit('\tsd x%d, %d(sp)' % (r, 8 * i))
    for r in regs:
        emit('\tld x%d, %d(a0)' % (r, 8 * r))
    emit('\taddi a1, a0, 1024\n\taddi a1, a1, 1536')
    label = 0
    pending = []
    rr = ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw',
          'sraw', 'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw',
          'remuw']
    ri = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw']
    sh = [('slli', 64), ('srli', 64), ('srai', 64), ('slliw', 32), ('srliw', 32), ('sraiw', 32)]
    loads = [('lb', 1), ('lbu', 1), ('lh', 2), ('lhu', 2), ('lw', 4), ('lwu', 4), ('ld', 8)]
    stores = [('sb', 1), ('sh', 2), ('sw', 4), ('sd', 8)]
    amos = ['amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu']
    for i in range(length):
        for p in [p for p in pending if p[1] == i]:
            emit('%d:' % p[0])
        pending = [p for p in pending if p[1] > i]
        k = rng.random()
        if k < 0.40:
            emit('\t%s %s, %s, %s' % (rng.choice(rr), R(), S(), S()))
        elif k < 0.55:
            emit('\t%s %s, %s, %d' % (rng.choice(ri), R(), S(), rv_imm(12)))
        elif k < 0.65:
            op, w = rng.choice(sh)
            emit('\t%s %s, %s, %d' % (op, R(), S(), rng.choice([0, 1, w - 1, rng.randrange(w)])))
        elif k < 0.68:
            emit('\tlui %s, %d' % (R(), rng.choice([0, 1, 0x7ffff, 0x80000, 0xfffff, rng.randrange(1 << 20)])))
        elif k < 0.78:
            op, w = rng.choice(loads)
            emit('\t%s %s, %d(a1)' % (op, R(), rng.randint(-2048, 2047 - w)))
        elif k < 0.86:
            op, w = rng.choice(stores)
            emit('\t%s %s, %d(a1)' % (op, S(), rng.randint(-2048, 2047 - w)))
        elif k < 0.90:
            w = rng.choice(['w', 'd'])
            sz = 4 if w == 'w' else 8
            t = R()
            off = rng.randrange(-2048, 2048 - sz, sz)
            emit('\taddi %s, a1, %d' % (t, off))
            rd, rs2 = R(), S()
            while rd == t:
                rd = R()
            while rs2 == t:
                rs2 = S()
            emit('\t%s.%s%s %s, %s, (%s)' % (rng.choice(amos), w, rng.choice(['', '.aq', '.rl', '.aqrl']), rd, rs2, t))
            emit('\tsub %s, %s, a1' % (t, t))
        elif k < 0.92:
            w = rng.choice(['w', 'd'])
            sz = 4 if w == 'w' else 8
            t = R()
            off = rng.randrange(-2048, 2048 - sz, sz)
            emit('\taddi %s, a1, %d' % (t, off))
            rd, rs2, rc = R(), S(), R()
            while rd == t:
                rd = R()
            while rs2 == t:
                rs2 = S()
            while rc == t or rc == rd:
                rc = R()
            emit('\tlr.%s %s, (%s)' % (w, rd, t))
            emit('\tsc.%s %s, %s, (%s)' % (w, rc, rs2, t))
            emit('\tsub %s, %s, a1' % (t, t))
        elif k < 0.97:
            label += 1
            emit('\t%s %s, %s, %df' % (rng.choice(['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']), S(), S(), label))
            pending.append((label, i + rng.randint(1, 6)))
        else:
            label += 1
            emit('\t%s %s, %df' % (rng.choice(['beqz', 'bnez']), R(), label))
            pending.append((label, i + rng.randint(1, 6)))
    for p in pending:
        emit('%d:' % p[0])
    for r in regs:
        emit('\tsd x%d, %d(a0)' % (r, 8 * r))
    for i, r in enumerate([1, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]):
        emit('\tld x%d, %d(sp)' % (r, 8 * i))
    emit('\taddi sp, sp, 112\n\tret\n\t.size rand_run_%d, . - rand_run_%d' % (n, n))


# AArch64 logical immediates: a few valid ones of each size
LOGIMM64 = ['0xff', '0xffff0000ffff0000', '0x5555555555555555', '0x8000000000000001', '0x7ffffffffffffffe',
            '0xf0f0f0f0f0f0f0f0', '0x3ffc0', '0xfffffffffffffff0', '0x1', '0x8000000000000000']
LOGIMM32 = ['0xff', '0xffff0000', '0x55555555', '0x80000001', '0x7ffffffe', '0xf0f0f0f0', '0x3ffc0', '0xfffffff0',
            '0x1', '0x80000000']
CONDS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al']


def a64_func(n):
    # x0 = s, x1 = s + 512 + 2048 (never written); random registers x2..x17, x19..x28
    regs = list(range(2, 18)) + list(range(19, 29))
    X = lambda: 'x%d' % rng.choice(regs)
    W = lambda: 'w%d' % rng.choice(regs)
    XZ = lambda: rng.choice(['x%d' % rng.choice(regs)] * 9 + ['xzr'])
    WZ = lambda: rng.choice(['w%d' % rng.choice(regs)] * 9 + ['wzr'])
    emit('\t.globl rand_run_%d\n\t.type rand_run_%d, %%function\nrand_run_%d:' % (n, n, n))
    emit('\tstp x29, x30, [sp, #-96]!')
    for i, r in enumerate(range(19, 29, 2)):
        emit('\tstp x%d, x%d, [sp, #%d]' % (r, r + 1, 16 + 16 * i))
    for r in regs:
        emit('\tldr x%d, [x0, #%d]' % (r, 8 * r))
    emit('\tldr x1, [x0, #256]\n\tmsr nzcv, x1')
    emit('\tadd x1, x0, #2560')
    label = 0
    pending = []
    for i in range(length):
        for p in [p for p in pending if p[1] == i]:
            emit('%d:' % p[0])
        pending = [p for p in pending if p[1] > i]
        k = rng.random()
        wide = rng.random() < 0.6
        D, A, B = (X(), XZ(), XZ()) if wide else (W(), WZ(), WZ())
        bits = 64 if wide else 32
        if k < 0.15:
            op = rng.choice(['add', 'adds', 'sub', 'subs'])
            form = rng.randrange(3)
            if form == 0:
                emit('\t%s %s, %s, %s, %s #%d' % (op, D, A, B, rng.choice(['lsl', 'lsr', 'asr']), rng.randrange(bits)))
            elif form == 1:
                ext = rng.choice(['uxtb', 'uxth', 'uxtw', 'sxtb', 'sxth', 'sxtw'])
                src = B.replace('x', 'w') if wide else B
                if src.endswith('zr'):
                    src = 'wzr'
                d = D if op.endswith('s') else D
                emit('\t%s %s, %s, %s, %s #%d' % (op, d, A.replace('zr', 'sp') if False else A, src, ext,
                                                  rng.randrange(5)) if not A.endswith('zr') else
                     '\t%s %s, %s, %s' % (op, D, A, B))
            else:
                emit('\t%s %s, %s, #%d%s' % (op, D, A if not A.endswith('zr') else D, rng.randrange(4096),
                                             rng.choice(['', ', lsl #12'])))
        elif k < 0.27:
            op = rng.choice(['and', 'orr', 'eor', 'ands', 'bic', 'orn', 'eon', 'bics'])
            if rng.random() < 0.7 or op in ('bic', 'orn', 'eon', 'bics'):
                emit('\t%s %s, %s, %s, %s #%d' % (op, D, A, B, rng.choice(['lsl', 'lsr', 'asr', 'ror']),
                                                  rng.randrange(bits)))
            else:
                emit('\t%s %s, %s, #%s' % (op, D, A, rng.choice(LOGIMM64 if wide else LOGIMM32)))
        elif k < 0.33:
            op = rng.choice(['lsl', 'lsr', 'asr', 'ror'])
            if rng.random() < 0.5:
                emit('\t%s %s, %s, %s' % (op, D, A, B))
            else:
                emit('\t%s %s, %s, #%d' % (op, D, A, rng.randrange(bits)))
        elif k < 0.40:
            op = rng.choice(['ubfx', 'sbfx', 'bfi', 'bfxil', 'ubfiz', 'sbfiz'])
            lsb = rng.randrange(bits)
            width = rng.randint(1, bits - lsb)
            emit('\t%s %s, %s, #%d, #%d' % (op, D, A, lsb, width))
        elif k < 0.42:
            emit('\textr %s, %s, %s, #%d' % (D, A, B, rng.randrange(bits)))
        elif k < 0.52:
            op = rng.choice(['mul', 'mneg', 'madd', 'msub', 'sdiv', 'udiv', 'smulh', 'umulh', 'smaddl', 'umaddl',
                             'smsubl', 'umsubl', 'smull', 'umull'])
            if op in ('madd', 'msub'):
                emit('\t%s %s, %s, %s, %s' % (op, D, A, B, XZ() if wide else WZ()))
            elif op in ('smaddl', 'umaddl', 'smsubl', 'umsubl'):
                emit('\t%s %s, %s, %s, %s' % (op, X(), WZ(), WZ(), XZ()))
            elif op in ('smull', 'umull'):
                emit('\t%s %s, %s, %s' % (op, X(), WZ(), WZ()))
            elif op in ('smulh', 'umulh'):
                emit('\t%s %s, %s, %s' % (op, X(), XZ(), XZ()))
            else:
                emit('\t%s %s, %s, %s' % (op, D, A, B))
        elif k < 0.56:
            op = rng.choice(['clz', 'cls', 'rbit', 'rev', 'rev16'] + (['rev32'] if wide else []))
            emit('\t%s %s, %s' % (op, D, A))
        elif k < 0.64:
            op = rng.choice(['csel', 'csinc', 'csinv', 'csneg'])
            emit('\t%s %s, %s, %s, %s' % (op, D, A, B, rng.choice(CONDS)))
        elif k < 0.68:
            op = rng.choice(['ccmp', 'ccmn'])
            b = B if rng.random() < 0.5 else '#%d' % rng.randrange(32)
            emit('\t%s %s, %s, #%d, %s' % (op, A, b, rng.randrange(16), rng.choice(CONDS[:-1])))
        elif k < 0.72:
            op = rng.choice(['adc', 'adcs', 'sbc', 'sbcs', 'ngc', 'ngcs'])
            if op.startswith('ngc'):
                emit('\t%s %s, %s' % (op, D, A))
            else:
                emit('\t%s %s, %s, %s' % (op, D, A, B))
        elif k < 0.75:
            op = rng.choice(['cmp', 'cmn', 'tst'])
            emit('\t%s %s, %s' % (op, A, B))
        elif k < 0.78:
            op = rng.choice(['movz', 'movk', 'movn'])
            emit('\t%s %s, #%d, lsl #%d' % (op, D, rng.randrange(65536), rng.choice([0, 16] + ([32, 48] if wide else []))))
        elif k < 0.88:
            op, sz, reg = rng.choice([('ldrb', 1, 'w'), ('ldrh', 2, 'w'), ('ldrsb', 1, 'x'), ('ldrsh', 2, 'x'),
                                      ('ldrsb', 1, 'w'), ('ldrsh', 2, 'w'), ('ldrsw', 4, 'x'), ('ldr', 4, 'w'),
                                      ('ldr', 8, 'x')])
            r = '%s%d' % (reg, rng.choice(regs))
            if rng.random() < 0.5:
                emit('\t%s %s, [x1, #%d]' % (op.replace('ldr', 'ldur', 1), r, rng.randint(-256, 255)))
            else:
                emit('\t%s %s, [x1, #%d]' % (op, r, sz * rng.randrange(2048 // sz)))
        elif k < 0.95:
            op, sz, reg = rng.choice([('strb', 1, 'w'), ('strh', 2, 'w'), ('str', 4, 'w'), ('str', 8, 'x')])
            r = '%s%d' % (reg, rng.choice(regs))
            if rng.random() < 0.3:
                r = reg + 'zr'
            if rng.random() < 0.5:
                emit('\t%s %s, [x1, #%d]' % (op.replace('str', 'stur', 1), r, rng.randint(-256, 255)))
            else:
                emit('\t%s %s, [x1, #%d]' % (op, r, sz * rng.randrange(2048 // sz)))
        elif k < 0.97:
            a, b = X(), X()
            while b == a:
                b = X()
            if rng.random() < 0.5:
                emit('\tldp %s, %s, [x1, #%d]' % (a, b, 8 * rng.randint(-64, 63)))
            else:
                emit('\tstp %s, %s, [x1, #%d]' % (a, b, 8 * rng.randint(-64, 63)))
        else:
            label += 1
            f = rng.randrange(3)
            if f == 0:
                emit('\tb.%s %df' % (rng.choice(CONDS), label))
            elif f == 1:
                emit('\t%s %s, %df' % (rng.choice(['cbz', 'cbnz']), rng.choice([X(), W()]), label))
            else:
                emit('\t%s %s, #%d, %df' % (rng.choice(['tbz', 'tbnz']), X(), rng.randrange(64), label))
            pending.append((label, i + rng.randint(1, 6)))
    for p in pending:
        emit('%d:' % p[0])
    for r in regs:
        emit('\tstr x%d, [x0, #%d]' % (r, 8 * r))
    emit('\tmrs x1, nzcv\n\tstr x1, [x0, #256]')
    for i, r in enumerate(range(19, 29, 2)):
        emit('\tldp x%d, x%d, [sp, #%d]' % (r, r + 1, 16 + 16 * i))
    emit('\tldp x29, x30, [sp], #96\n\tret\n\t.size rand_run_%d, . - rand_run_%d' % (n, n))


emit('/* generated by gen_rand.py %s %d %d %d: do not edit */' % (arch, seed, nfuncs, length))
emit('\t.text')
for n in range(nfuncs):
    (riscv_func if arch == 'riscv64' else a64_func)(n)
emit('\t.section .rodata\n\t.globl rand_funcs\n\t.balign 8\nrand_funcs:')
for n in range(nfuncs):
    emit('\t.quad rand_run_%d' % n)
emit('\t.globl rand_nfuncs\nrand_nfuncs:\n\t.quad %d' % nfuncs)
print('\n'.join(out))
