/*
 * Every RV64C instruction (but the FP ones: the machine has no FPU), with
 * edge immediates, and the HINT encodings (which must do nothing).
 * rvc_run(uint64_t *s): s[0..7] are loaded into s0, s1, a0..a5 (the
 * registers of the 3-bit fields), the sequence runs, and the 15 registers it
 * touches are stored back into s[0..14].  s[16..47] is scratch memory.
 */
	.text
	.globl	rvc_run
	.type	rvc_run, @function
	.option	push
	.option	rvc
	.option	norelax
rvc_run:
	addi	sp, sp, -64
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	sd	s1, 16(sp)
	sd	a0, 24(sp)
	sd	t0, 32(sp)
	mv	t0, a0
	ld	s0, 0(t0)
	ld	s1, 8(t0)
	ld	a0, 16(t0)
	ld	a1, 24(t0)
	ld	a2, 32(t0)
	ld	a3, 40(t0)
	ld	a4, 48(t0)
	ld	a5, 56(t0)
	li	t1, 0
	li	t2, 0
	li	t3, 0
	li	t4, 0
	li	t5, 0
	li	t6, 0

	/* arithmetic, every form, edge immediates */
	c.addi	s0, 31
	c.addi	s1, -32
	c.addiw	a0, -1
	c.addiw	a1, 31
	c.addiw	a2, 0		/* sext.w */
	c.li	a3, -32
	c.add	a3, s0
	c.li	a4, 31
	c.sub	a4, a1
	c.lui	t1, 1
	c.lui	t2, 0xfffff	/* -1 << 12, sign-extended */
	c.lui	t3, 31
	c.lui	t4, 0xfffe0	/* -32 << 12 */
	c.add	t1, t2
	c.add	t3, t4
	c.srli	a5, 63
	c.srli	s0, 1
	c.srai	s1, 63
	c.srai	a0, 1
	c.srai	a1, 32
	c.slli	a2, 63
	c.slli	a3, 1
	c.slli	t5, 32
	c.andi	a4, -32
	c.andi	a5, 31
	c.andi	s0, 0
	c.xor	s1, a0
	c.or	a0, a1
	c.and	a1, a2
	c.sub	a2, a3
	c.subw	a3, a4
	c.addw	a4, a5
	c.addw	a5, s1
	c.subw	s0, s1
	c.mv	t5, a2
	c.add	t5, a3
	c.mv	t6, sp

	/* loads and stores: s[16..47] through t0 (moved into a 3-bit register) */
	c.mv	t4, a5
	addi	a5, t0, 128
	c.sd	s0, 0(a5)
	c.sd	s1, 248(a5)
	c.sw	a0, 4(a5)
	c.sw	a1, 124(a5)
	c.ld	a2, 248(a5)
	c.lw	a3, 4(a5)
	c.lw	a4, 124(a5)	/* sign-extended */
	c.ld	s0, 0(a5)
	c.mv	a5, t4

	/* sp-relative: a frame of 256 bytes */
	c.addi16sp	sp, -512
	c.addi16sp	sp, 496
	c.addi16sp	sp, -240	/* net -256 */
	c.addi4spn	a5, sp, 4
	c.addi4spn	s1, sp, 1020
	sub	s1, s1, a5	/* 1016 */
	c.sdsp	a0, 0(sp)
	c.sdsp	a1, 248(sp)
	c.swsp	a2, 4(sp)
	c.swsp	a3, 252(sp)
	c.ldsp	t3, 248(sp)
	c.lwsp	t4, 4(sp)
	c.lwsp	t1, 252(sp)
	c.ldsp	t2, 0(sp)
	c.addi16sp	sp, 256

	/* control flow: c.j, c.beqz, c.bnez (taken and not, both directions), c.jr, c.jalr */
	c.li	a5, 0
	c.beqz	a5, 1f
	c.li	a5, 7		/* skipped */
1:	c.bnez	a5, 2f		/* not taken */
	c.addi	a5, 3
	c.bnez	a5, 3f
2:	c.li	a5, 13		/* skipped */
3:	c.j	5f
4:	c.addi	a5, 5		/* reached backwards */
	c.j	6f
5:	c.bnez	a5, 4b		/* taken backwards */
6:	la	t4, 7f
	c.jr	t4
	c.li	a5, 0		/* skipped */
7:	la	t4, rvc_leaf
	c.jalr	t4		/* ra = return point */
8:	c.add	a4, a5
	la	t6, 8b
	sub	ra, ra, t6	/* 0 */
	la	t6, rvc_leaf
	sub	t4, t4, t6	/* 0 */
	c.mv	t6, sp

	/* HINTs: no effect */
	c.nop
	.2byte	0x0005 | (5 << 2)	/* c.nop with nonzero imm (HINT) */
	.2byte	0x4001 | (7 << 2)	/* c.li x0, 7 (HINT) */
	.2byte	0x0002 | (3 << 2)	/* c.slli x0, 3 (HINT) */
	.2byte	0x8002 | (9 << 2)	/* c.mv x0, s1 (HINT) */
	.2byte	0x9002 | (9 << 2)	/* c.add x0, s1 (HINT) */
	.2byte	0x0001 | (9 << 7)	/* c.addi s1, 0 (HINT) */
	.2byte	0x6001 | (1 << 2)	/* c.lui x0, 1 (HINT) */
	.2byte	0x8001 | (9 - 8 + 0) << 7	/* c.srli s1, 0 (HINT on RV64: shamt 0) */
	.2byte	0x8401 | (10 - 8) << 7	/* c.srai a0, 0 (HINT) */

	sd	t0, 32(sp)	/* (t0 still the state pointer) */
	ld	t0, 24(sp)
	sd	s0, 0(t0)
	sd	s1, 8(t0)
	sd	a0, 16(t0)
	sd	a1, 24(t0)
	sd	a2, 32(t0)
	sd	a3, 40(t0)
	sd	a4, 48(t0)
	sd	a5, 56(t0)
	sd	t1, 64(t0)
	sd	t2, 72(t0)
	sd	t3, 80(t0)
	sd	t4, 88(t0)
	sd	t5, 96(t0)
	sub	t6, t6, sp
	sd	t6, 104(t0)
	sd	ra, 112(t0)
	ld	ra, 0(sp)
	ld	s0, 8(sp)
	ld	s1, 16(sp)
	ld	t0, 32(sp)
	addi	sp, sp, 64
	ret

rvc_leaf:
	c.slli	a5, 2
	c.jr	ra
	.size	rvc_run, . - rvc_run
	.option	pop
