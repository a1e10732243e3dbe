#!/bin/sh
# Generate a protocol's C header or Java class from its definition (guest/abi/NAME.proto;
# the format is in guest/abi/PROTOCOLS.md).
#   gen-proto.sh c    NAME.proto OUT.h      labels, constants, errors, request rules, the
#                                           server's op list and the client stubs
#   gen-proto.sh java NAME.proto OUT.java   dev.rewind.abi.<Name>: labels, constants, errors
# An optional fourth argument names the definition in the generated comment (default
# guest/abi/NAME.proto; rewind.mk passes a user's own definitions' paths).
# Plain sh and awk (no other tool is needed to build the guests).
set -eu
[ $# -ge 3 ] && [ $# -le 4 ] || { echo "usage: gen-proto.sh c|java NAME.proto OUT [SRC]" >&2; exit 2; }
kind=$1 def=$2 out=$3 src=${4:-guest/abi/$(basename "$2")}
case $kind in c|java) ;; *) echo "usage: gen-proto.sh c|java NAME.proto OUT [SRC]" >&2; exit 2 ;; esac
[ -r "$def" ] || { echo "gen-proto.sh: cannot read $def" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
tmp=$out.tmp
awk -v kind="$kind" -v src="$src" '
BEGIN {
  CKEYWORDS = " auto break case char const continue default do double else enum extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while bool true false _Bool _Complex _Imaginary alignas alignof static_assert thread_local "
}
function fail(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; failed = 1; exit 1 }
function isnum(s) { return s ~ /^-?(0x[0-9a-fA-F]+|[0-9]+)$/ }
# A bound of 0 (decimal or hex): an unsigned value cannot be below it, so no check is made
# (a "< 0" compare of an unsigned value is a -Wtype-limits warning, an error with -Werror).
function iszero(s) { return s ~ /^(0x)?0+$/ }
# A number, or the name of a const of this protocol (then its value).
function value(s) {
  if (isnum(s)) return s
  if (s in cval) return cval[s]
  fail("unknown constant \"" s "\" (define it with a const line first)")
}
function rest(from,   i, c) { c = ""; for (i = from; i <= NF; i++) c = c (c == "" ? "" : " ") $i; return c }
function jnum(s) { return s "L" }
# Parses a word list "a,b,c,d" (request: 4 words) into W[prefix, i, kind|name|lo|hi].
function words(spec, prefix, exact,   n, parts, i, p, m) {
  n = split(spec, parts, ",")
  if (exact && n != 4) fail("in= needs exactly 4 words (w0..w3), got " n)
  if (n > 4) fail("at most 4 reply words, got " n)
  for (i = 1; i <= 4; i++) {
    p = i <= n ? parts[i] : "-"
    W[prefix, i - 1, "lo"] = ""; W[prefix, i - 1, "hi"] = ""
    if (p == "-") { W[prefix, i - 1, "kind"] = "ZERO"; W[prefix, i - 1, "name"] = ""; continue }
    if (match(p, /^[a-z_][a-z0-9_]*/) == 0) fail("bad word \"" p "\": want -, name, name:LO..HI, name&MASK or name=VALUE")
    W[prefix, i - 1, "name"] = substr(p, 1, RLENGTH)
    # (a word becomes a parameter of the client stub: it must be a C name of its own)
    if (W[prefix, i - 1, "name"] ~ /^rw_/) fail("word \"" p "\": names beginning rw_ are reserved for the client stubs")
    if (index(CKEYWORDS, " " W[prefix, i - 1, "name"] " ")) fail("word \"" p "\": a C keyword cannot name a word")
    m = substr(p, RLENGTH + 1)
    if (m == "") W[prefix, i - 1, "kind"] = "ANY"
    else if (m ~ /^:[^.]+\.\.[^.]+$/) {
      W[prefix, i - 1, "kind"] = "RANGE"
      split(substr(m, 2), rg, /\.\./)
      W[prefix, i - 1, "lo"] = value(rg[1]); W[prefix, i - 1, "hi"] = value(rg[2])
    } else if (m ~ /^&/) { W[prefix, i - 1, "kind"] = "MASK"; W[prefix, i - 1, "lo"] = value(substr(m, 2)) }
    else if (m ~ /^=w[0-3]$/ && prefix ~ /out$/) { W[prefix, i - 1, "kind"] = "ECHO"; W[prefix, i - 1, "lo"] = substr(m, 3) + 0 }
    else if (m ~ /^<=w[0-3]$/ && prefix ~ /out$/) { W[prefix, i - 1, "kind"] = "UPTO"; W[prefix, i - 1, "lo"] = substr(m, 4) + 0 }
    else if (m ~ /^=/) { W[prefix, i - 1, "kind"] = "EQ"; W[prefix, i - 1, "lo"] = value(substr(m, 2)) }
    else fail("bad word \"" p "\": want -, name, name:LO..HI, name&MASK or name=VALUE")
    if (prefix ~ /out$/ && W[prefix, i - 1, "kind"] != "ANY" && W[prefix, i - 1, "kind"] != "RANGE" && W[prefix, i - 1, "kind"] != "ECHO" && W[prefix, i - 1, "kind"] != "UPTO")
      fail("reply word \"" p "\": only name, name:LO..HI, name=wN (the request word N) or name<=wN (at most the request word N)")
  }
  return n
}
# Parses a length formula "w0+1+w1", "w1*SECTOR", "0" into L[prefix, 0..3] and L[prefix, "add"].
function lenrule(spec, prefix, checkwords,   n, t, i, k, f, idx, mul) {
  for (i = 0; i < 4; i++) L[prefix, i] = 0
  L[prefix, "add"] = 0
  n = split(spec, t, "+")
  for (i = 1; i <= n; i++) {
    if (t[i] ~ /^w[0-3](\*[A-Za-z0-9_]+)?$/) {
      idx = substr(t[i], 2, 1) + 0
      mul = t[i] ~ /\*/ ? value(substr(t[i], 4)) : 1
      if (L[prefix, idx] != 0) fail("w" idx " twice in the length \"" spec "\"")
      L[prefix, idx] = mul
      if (checkwords && W[prefix, idx, "kind"] != "RANGE" && W[prefix, idx, "kind"] != "MASK" && W[prefix, idx, "kind"] != "EQ")
        fail("the length \"" spec "\" uses w" idx ", which needs a bound (name:LO..HI)")
    } else if (t[i] ~ /^[A-Za-z0-9_]+$/) {
      if (L[prefix, "add"] != 0) fail("two constants in the length \"" spec "\"")
      L[prefix, "add"] = value(t[i])
    } else fail("bad length \"" spec "\": want a sum of wN, wN*K and K")
  }
}
# C expression of a length formula over message variable m.
function clen(prefix, msg,   i, e) {
  e = ""
  for (i = 0; i < 4; i++) if (L[prefix, i] != 0)
    e = e (e == "" ? "" : " + ") (L[prefix, i] == 1 ? "" : L[prefix, i] " * ") (msg == "" ? "w" i : msg "w[" i "]")
  if (L[prefix, "add"] != 0 || e == "") e = e (e == "" ? "" : " + ") L[prefix, "add"]
  return e
}
function wdoc(prefix, n,   i, d, k) {
  d = ""
  for (i = 0; i < n; i++) {
    k = W[prefix, i, "kind"]
    if (k == "ZERO") continue
    d = d (d == "" ? "" : ", ") "w" i " = " W[prefix, i, "name"]
    if (k == "RANGE") d = d " (" W[prefix, i, "lo"] ".." W[prefix, i, "hi"] ")"
    if (k == "MASK") d = d " (bits " W[prefix, i, "lo"] ")"
    if (k == "EQ") d = d " (= " W[prefix, i, "lo"] ")"
    if (k == "ECHO") d = d " (= request w" W[prefix, i, "lo"] ")"
    if (k == "UPTO") d = d " (<= request w" W[prefix, i, "lo"] ")"
  }
  return d == "" ? "-" : d
}
BEGIN { nc = 0; ne = 0; no = 0 }
/^[ \t]*(#|$)/ { next }
$1 == "protocol" {
  if (proto != "") fail("a second protocol line")
  if (NF < 3 || $2 !~ /^[a-z][a-z0-9_]*$/ || $3 !~ /^0x[0-9a-fA-F]+$/) fail("want: protocol NAME 0xMAGIC [comment]")
  proto = $2; P = toupper(proto); magic = $3; pdoc = rest(4)
  if (FILENAME !~ ("(^|/)" proto "\\.proto$")) fail("protocol " proto " must be defined in " proto ".proto")
  next
}
proto == "" { fail("the protocol line must come first") }
$1 == "const" || $1 == "error" {
  if (NF < 3 || $2 !~ /^[A-Z][A-Z0-9_]*$/ || !isnum($3)) fail("want: " $1 " NAME VALUE [comment]")
  if (($2 in cval) || ($2 in eval)) fail("\"" $2 "\" defined twice")
  if ($1 == "error" && $3 !~ /^-/) fail("an error is negative")
  if ($1 == "const") { cval[$2] = $3; cn[nc] = $2; cdoc[nc++] = rest(4) }
  else { eval[$2] = $3; en[ne] = $2; edoc[ne++] = rest(4) }
  next
}
$1 == "op" {
  if (NF < 3 || $2 !~ /^[A-Z][A-Z0-9_]*$/ || $3 !~ /^([0-9]+|0x[0-9a-fA-F]+)$/) fail("want: op NAME CODE in=... len=... [out=...] [outlen=...] [errors=...] [comment]")
  if (($2 in opidx)) fail("op " $2 " defined twice")
  if (($3 in opcode)) fail("op code " $3 " used twice")
  o = no++; opidx[$2] = o; opcode[$3] = 1; on[o] = $2; oc[o] = $3
  oin[o] = ""; olen[o] = ""; oout[o] = ""; ooutlen[o] = ""; oerr[o] = ""; odoc[o] = ""
  for (i = 4; i <= NF; i++) {
    if ($i ~ /^in=/) oin[o] = substr($i, 4)
    else if ($i ~ /^len=/) olen[o] = substr($i, 5)
    else if ($i ~ /^out=/) oout[o] = substr($i, 5)
    else if ($i ~ /^outlen=/) ooutlen[o] = substr($i, 8)
    else if ($i ~ /^errors=/) oerr[o] = substr($i, 8)
    else if ($i ~ /^[a-z]+=/) fail("unknown field \"" $i "\"")
    else { odoc[o] = rest(i); break }
  }
  if (oin[o] == "") fail("op " $2 ": no in=")
  if (olen[o] == "") fail("op " $2 ": no len=")
  words(oin[o], o "in", 1)
  lenrule(olen[o], o "in", 1)
  onout[o] = oout[o] == "" ? 0 : words(oout[o], o "out", 0)
  # The parameters of the stub: the named request words and, for each reply word, NAME_out.
  delete param
  for (i = 0; i < 4; i++) if (W[o "in", i, "kind"] != "ZERO" && W[o "in", i, "kind"] != "EQ") {
    if (W[o "in", i, "name"] in param) fail("op " $2 ": request word \"" W[o "in", i, "name"] "\" named twice")
    param[W[o "in", i, "name"]] = 1
  }
  for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] != "ZERO") {
    if ((W[o "out", i, "name"] "_out") in param)
      fail("op " $2 ": reply word \"" W[o "out", i, "name"] "\" named twice, or its stub parameter " W[o "out", i, "name"] "_out is the name of a request word")
    param[W[o "out", i, "name"] "_out"] = 1
  }
  if (ooutlen[o] ~ /\.\./) { split(ooutlen[o], rg, /\.\./); olo[o] = value(rg[1]); ohi[o] = value(rg[2]) }
  else if (ooutlen[o] != "") lenrule(ooutlen[o], o "out", 0)
  n = split(oerr[o], es, ",")
  for (i = 1; i <= n; i++)
    if (!(es[i] in eval) && es[i] !~ /^E(INVAL|FAULT|CAP|NOSYS|DEAD|NOMEM|TOOBIG|NOENT|STATE|RECOVERED|IO|TIMEDOUT|AGAIN|INDOUBT)$/)
      fail("op " $2 ": unknown error " es[i])
  next
}
{ fail("unknown line kind \"" $1 "\" (protocol, const, error or op)") }
END {
  if (failed) exit 1
  if (proto == "") { printf "%s: no protocol line\n", FILENAME > "/dev/stderr"; exit 1 }
  if (kind == "c") emit_c(); else emit_java()
}
# C: the value of request word n of op o inside its client stub (a parameter, or its constant).
function cin(o, n,   k) {
  k = W[o "in", n, "kind"]
  if (k == "ZERO") fail("op " on[o] ": a reply word echoes w" n ", which the request leaves 0")
  return k == "EQ" ? W[o "in", n, "lo"] "ULL" : W[o "in", n, "name"]
}
function cerr(e) { return (e in eval) ? P "_" e : "RW_" e }
function emit_c(   i, o, k, G, args, d, sep, j, nm, outs) {
  G = "REWIND_" P "_PROTO_H"
  print "/* Generated from " src " by gen-proto.sh: do not edit. */"
  print "#ifndef " G; print "#define " G; print ""
  print "#include <stdint.h>"; print "#include <rewind/proto.h>"; print ""
  print "/* " pdoc " */"
  printf "#define %s_MAGIC\t%sULL\n", P, magic
  printf "#define %s_LABEL(op)\t((%s_MAGIC << 16) | (op))\n\n", P, P
  for (i = 0; i < nc; i++) printf "#define %s_%s\t%s%s\n", P, cn[i], cval[cn[i]], cdoc[i] == "" ? "" : "\t/* " cdoc[i] " */"
  if (ne) print ""
  for (i = 0; i < ne; i++) printf "#define %s_%s\t(%s)%s\n", P, en[i], eval[en[i]], edoc[i] == "" ? "" : "\t/* " edoc[i] " */"
  print ""
  print "/* Requests: request words, buffer length, reply words, errors. */"
  for (o = 0; o < no; o++) {
    printf "#define %s_%s\t%s_LABEL(%s)\n", P, on[o], P, oc[o]
    printf "/*   %s_%s: %s; len = %s -> %s", P, on[o], wdoc(o "in", 4), clen(o "in", ""), wdoc(o "out", onout[o])
    if (ooutlen[o] != "") printf "; reply len = %s", ooutlen[o] ~ /\.\./ ? olo[o] ".." ohi[o] : clen(o "out", "")
    printf "\n *   errors %s", oerr[o] == "" ? "-" : oerr[o]
    if (odoc[o] != "") printf "; %s", odoc[o]
    print " */"
  }
  print ""
  print "/* The rule of each request, for rw_dispatch (<rewind/proto.h>). */"
  for (o = 0; o < no; o++) {
    printf "#define %s_%s_RULE { %s_%s, {", P, on[o], P, on[o]
    for (i = 0; i < 4; i++) {
      k = W[o "in", i, "kind"]
      sep = i ? ", " : " "
      if (k == "RANGE") printf "%sRW_W_RANGE(%sULL, %sULL)", sep, W[o "in", i, "lo"], W[o "in", i, "hi"]
      else if (k == "MASK" || k == "EQ") printf "%sRW_W_%s(%sULL)", sep, k, W[o "in", i, "lo"]
      else printf "%sRW_W_%s", sep, k
    }
    printf " }, { %s, %s, %s, %s }, %s, RW_RULE_NO_POSITIVE }\n", L[o "in", 0], L[o "in", 1], L[o "in", 2], L[o "in", 3], L[o "in", "add"]
  }
  print ""
  print "/* Every request of the protocol, handled by prefix##op (lower case):"
  printf " * static const rw_op ops[] = { %s_OPS(do_) } needs do_%s, ... */\n", P, tolower(on[0])
  printf "#define %s_OPS(prefix)", P
  for (o = 0; o < no; o++) printf "%s \\\n\tRW_OP(%s_%s, prefix##%s)", o ? "," : "", P, on[o], tolower(on[o])
  print ""
  printf "#define %s_NOPS\t%d\n\n", P, no
  print "/*"
  print " * Client stubs: one call per request.  The request buffer, if any, must"
  print " * already be in rw_ipc_buf(); its length follows from the words.  Each"
  print " * returns the kernel status of the call if it failed, else the reply"
  print " * label (the server'"'"'s status); on success (>= 0) the reply words are"
  print " * stored through the non-NULL pointers, after checking the reply'"'"'s"
  print " * shape (RW_EINVAL for a malformed reply); *rw__len_out = the reply'"'"'s"
  print " * buffer length where the words do not tell it.  On an error (< 0) they"
  print " * are 0."
  print " */"
  for (o = 0; o < no; o++) {
    args = "rw_cap rw__cap"
    for (i = 0; i < 4; i++) if (W[o "in", i, "kind"] != "ZERO" && W[o "in", i, "kind"] != "EQ") args = args ", uint64_t " W[o "in", i, "name"]
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] != "ZERO") args = args ", uint64_t *" W[o "out", i, "name"] "_out"
    if (ooutlen[o] ~ /\.\./) args = args ", uint64_t *rw__len_out"
    printf "static inline long %s_call_%s(%s)\n{\n", proto, tolower(on[o]), args
    printf "\trw_msg rw__m = { %s_%s, {", P, on[o]
    for (i = 0; i < 4; i++) {
      k = W[o "in", i, "kind"]
      printf "%s%s", i ? ", " : " ", k == "ZERO" ? "0" : (k == "EQ" ? W[o "in", i, "lo"] "ULL" : W[o "in", i, "name"])
    }
    d = clen(o "in", "rw__m.")
    printf " }, 0 };\n"
    if (d != "0") printf "\trw__m.len = %s;\n", d
    if (onout[o] == 0 && ooutlen[o] == "") { print "\treturn rw_rpc(rw__cap, &rw__m);"; print "}"; print ""; continue }
    # (the outputs are 0 until a well-formed reply fills them, so a caller that reads them after
    # an error reads 0, and a compiler sees them set on every path)
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] != "ZERO")
      printf "\tif (%s_out)\n\t\t*%s_out = 0;\n", W[o "out", i, "name"], W[o "out", i, "name"]
    if (ooutlen[o] ~ /\.\./) printf "\tif (rw__len_out)\n\t\t*rw__len_out = 0;\n"
    print "\tlong rw__r = rw_rpc(rw__cap, &rw__m);"
    print "\tif (rw__r < 0)"; print "\t\treturn rw__r;"
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "RANGE") {
      if (iszero(W[o "out", i, "lo"])) printf "\tif (rw__m.w[%d] > %sULL)\n\t\treturn RW_EINVAL;\t/* malformed reply */\n", i, W[o "out", i, "hi"]
      else printf "\tif (rw__m.w[%d] < %sULL || rw__m.w[%d] > %sULL)\n\t\treturn RW_EINVAL;\t/* malformed reply */\n", i, W[o "out", i, "lo"], i, W[o "out", i, "hi"]
    }
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "ECHO")
      printf "\tif (rw__m.w[%d] != %s)\n\t\treturn RW_EINVAL;\t/* malformed reply */\n", i, cin(o, W[o "out", i, "lo"])
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "UPTO")
      printf "\tif (rw__m.w[%d] > %s)\n\t\treturn RW_EINVAL;\t/* malformed reply */\n", i, cin(o, W[o "out", i, "lo"])
    if (ooutlen[o] ~ /\.\./ && iszero(olo[o])) printf "\tif (rw__m.len > %s)\n\t\treturn RW_EINVAL;\t/* malformed reply */\n", ohi[o]
    else if (ooutlen[o] ~ /\.\./) printf "\tif (rw__m.len < %s || rw__m.len > %s)\n\t\treturn RW_EINVAL;\t/* malformed reply */\n", olo[o], ohi[o]
    else if (ooutlen[o] != "") printf "\tif (rw__m.len != %s)\n\t\treturn RW_EINVAL;\t/* malformed reply */\n", clen(o "out", "rw__m.")
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] != "ZERO")
      printf "\tif (%s_out)\n\t\t*%s_out = rw__m.w[%d];\n", W[o "out", i, "name"], W[o "out", i, "name"], i
    if (ooutlen[o] ~ /\.\./) printf "\tif (rw__len_out)\n\t\t*rw__len_out = rw__m.len;\n"
    print "\treturn rw__r;"; print "}"; print ""
  }
  # The server side of the same reply rules: rw_dispatch checks each success it sends
  # (<rewind/proto.h>, rw_reply_check_register).
  printf "/* 1 if *rw__m, a success, is a well-formed reply to the %s request *rw__q (the rules the\n", proto
  print " * stubs above check), else 0; registered for rw_dispatch by the constructor below. */"
  printf "static inline int %s_reply_ok(const rw_msg *rw__q, const rw_msg *rw__m)\n{\n\t(void)rw__m;\n\tswitch (rw__q->label) {\n", proto
  for (o = 0; o < no; o++) {
    printf "\tcase %s_%s:\n", P, on[o]
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "RANGE") {
      if (iszero(W[o "out", i, "lo"])) printf "\t\tif (rw__m->w[%d] > %sULL)\n\t\t\treturn 0;\n", i, W[o "out", i, "hi"]
      else printf "\t\tif (rw__m->w[%d] < %sULL || rw__m->w[%d] > %sULL)\n\t\t\treturn 0;\n", i, W[o "out", i, "lo"], i, W[o "out", i, "hi"]
    }
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "ECHO")
      printf "\t\tif (rw__m->w[%d] != rw__q->w[%d])\n\t\t\treturn 0;\n", i, W[o "out", i, "lo"]
    for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "UPTO")
      printf "\t\tif (rw__m->w[%d] > rw__q->w[%d])\n\t\t\treturn 0;\n", i, W[o "out", i, "lo"]
    if (ooutlen[o] ~ /\.\./ && iszero(olo[o])) printf "\t\tif (rw__m->len > %s)\n\t\t\treturn 0;\n", ohi[o]
    else if (ooutlen[o] ~ /\.\./) printf "\t\tif (rw__m->len < %s || rw__m->len > %s)\n\t\t\treturn 0;\n", olo[o], ohi[o]
    else if (ooutlen[o] != "") printf "\t\tif (rw__m->len != %s)\n\t\t\treturn 0;\n", clen(o "out", "rw__m->")
    print "\t\treturn 1;"
  }
  print "\t}"; print "\treturn 1;"; print "}"; print ""
  printf "__attribute__((constructor)) static void %s__reply_check_register(void)\n{\n", proto
  printf "\trw_reply_check_register(%s_MAGIC, %s_reply_ok);\n}\n\n", P, proto
  printf "/* Name of a %s_E* error of this protocol, or NULL. */\n", P
  printf "static inline const char *%s_proto_error_name(long err)\n{\n\tswitch (err) {\n", proto
  for (i = 0; i < ne; i++) printf "\tcase %s_%s:\treturn \"%s\";\n", P, en[i], en[i]
  print "\tdefault:\treturn (const char *)0;"; print "\t}"; print "}"; print ""
  print "#endif"
}
function emit_java(   i, o, C, es, n, j) {
  C = toupper(substr(proto, 1, 1)) substr(proto, 2)
  print "// Generated from " src " by gen-proto.sh: do not edit."
  print "package dev.rewind.abi;"; print ""
  print "import java.util.List;"; print ""
  print "/** The " proto " protocol (" src "): " pdoc ". */"
  print "public final class " C " {"
  print "    private " C "() {}"; print ""
  print "    /** Labels are {@code MAGIC << 16 | op}. */"
  printf "    public static final long MAGIC = %sL;\n\n", magic
  for (i = 0; i < nc; i++) printf "    /** %s */\n    public static final long %s = %s;\n", cdoc[i] == "" ? cn[i] : cdoc[i], cn[i], jnum(cval[cn[i]])
  for (i = 0; i < ne; i++) printf "    /** %s */\n    public static final long %s = %s;\n", edoc[i] == "" ? en[i] : edoc[i], en[i], jnum(eval[en[i]])
  print ""
  for (o = 0; o < no; o++) {
    printf "    /** %s: %s; len = %s -> %s%s */\n", on[o], wdoc(o "in", 4), clen(o "in", ""), wdoc(o "out", onout[o]), odoc[o] == "" ? "" : "; " odoc[o]
    printf "    public static final long %s = MAGIC << 16 | %s;\n", on[o], oc[o]
  }
  print ""
  print "    /** Every label of the protocol, in definition order. */"
  printf "    public static final List<Long> LABELS = List.of("
  for (o = 0; o < no; o++) printf "%s%s", o ? ", " : "", on[o]
  print ");"; print ""
  print "    /** The request name of {@code label} (\"PUT\"), or null. */"
  print "    public static String opName(long label) {"
  for (o = 0; o < no; o++) printf "        if (label == %s) {\n            return \"%s\";\n        }\n", on[o], on[o]
  print "        return null;"; print "    }"; print ""
  print "    /** The errors (names, as in the definition) request {@code label} may answer, or an empty list. */"
  print "    public static List<String> errors(long label) {"
  for (o = 0; o < no; o++) {
    printf "        if (label == %s) {\n            return List.of(", on[o]
    n = split(oerr[o], es, ",")
    for (j = 1; j <= n; j++) printf "%s\"%s\"", (j > 1 ? ", " : ""), es[j]
    print ");"; print "        }"
  }
  print "        return List.of();"; print "    }"; print ""
  print "    /**"
  print "     * True if a request passes the rule of its op: the words and the buffer length the definition"
  print "     * allows (what rw_dispatch in the SDK checks before a handler runs). A well-formed request"
  print "     * is never answered EINVAL. False for a label the protocol does not define."
  print "     */"
  print "    public static boolean wellFormed(long label, long w0, long w1, long w2, long w3, long len) {"
  print "        if (Long.compareUnsigned(len, Abi.IPC_BUF_SIZE) > 0) {"; print "            return false;"; print "        }"
  for (o = 0; o < no; o++) printf "        if (label == %s) {\n            return %s;\n        }\n", on[o], jrule(o)
  print "        return false;"; print "    }"; print ""
  print "    /**"
  print "     * True if {@code status} is a reply the definition allows to request {@code label}: a"
  print "     * success (0) or one of the errors it lists. A positive status is neither: the client stubs"
  print "     * return it as they would 0, with the words and buffer of the reply, so a driver answering one"
  print "     * (measured: a skipped {@code li a0,0} left a pointer as the status of a tty READ) hands over"
  print "     * data its shadow did not count as handed over. False for a label the protocol does not define."
  print "     */"
  print "    public static boolean mayAnswer(long label, long status) {"
  print "        if (status == 0) {"; print "            return true;"; print "        }"
  for (o = 0; o < no; o++) {
    n = split(oerr[o], es, ",")
    e = ""
    for (j = 1; j <= n; j++) e = e (j > 1 ? " || " : "") "status == " ((es[j] in eval) ? es[j] : "Abi." es[j])
    printf "        if (label == %s) {\n            return %s;\n        }\n", on[o], e == "" ? "false" : e
  }
  print "        return false;"; print "    }"; print ""
  print "    /**"
  print "     * True if a successful reply to request {@code label} has the shape the definition gives it"
  print "     * (reply words in their ranges, the reply buffer length); what the client stubs check."
  print "     * {@code request}: the request (label, w0..w3, length), for reply words that echo its words."
  print "     * An error reply carries nothing to check: true."
  print "     */"
  print "    public static boolean replyWellFormed(\n            long label, long status, long w0, long w1, long w2, long w3, long len, long[] request) {"
  print "        if (status < 0) {"; print "            return true;"; print "        }"
  print "        if (Long.compareUnsigned(len, Abi.IPC_BUF_SIZE) > 0) {"; print "            return false;"; print "        }"
  for (o = 0; o < no; o++) printf "        if (label == %s) {\n            return %s;\n        }\n", on[o], jreply(o)
  print "        return true;"; print "    }"
  print "}"
}
# Java: the rule of the request of op o over w0..w3 and len.
function jrule(o,   i, k, e, c, lo, hi) {
  e = ""
  for (i = 0; i < 4; i++) {
    k = W[o "in", i, "kind"]; lo = W[o "in", i, "lo"]; hi = W[o "in", i, "hi"]; c = ""
    if (k == "ZERO") c = "w" i " == 0"
    else if (k == "RANGE") c = "Long.compareUnsigned(w" i ", " jnum(lo) ") >= 0 && Long.compareUnsigned(w" i ", " jnum(hi) ") <= 0"
    else if (k == "MASK") c = "(w" i " & ~" jnum(lo) ") == 0"
    else if (k == "EQ") c = "w" i " == " jnum(lo)
    if (c != "") e = e (e == "" ? "" : " && ") c
  }
  return e (e == "" ? "" : " && ") "len == " jlen(o "in")
}
# Java: the shape of a successful reply to op o.
function jreply(o,   i, k, e, c) {
  e = ""
  for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "ECHO")
    e = e (e == "" ? "" : " && ") "w" i " == request[" (W[o "out", i, "lo"] + 1) "]"
  for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "UPTO")
    e = e (e == "" ? "" : " && ") "Long.compareUnsigned(w" i ", request[" (W[o "out", i, "lo"] + 1) "]) <= 0"
  for (i = 0; i < onout[o]; i++) if (W[o "out", i, "kind"] == "RANGE") {
    c = "Long.compareUnsigned(w" i ", " jnum(W[o "out", i, "lo"]) ") >= 0 && Long.compareUnsigned(w" i ", " jnum(W[o "out", i, "hi"]) ") <= 0"
    e = e (e == "" ? "" : " && ") c
  }
  if (ooutlen[o] ~ /\.\./) c = "Long.compareUnsigned(len, " jnum(olo[o]) ") >= 0 && Long.compareUnsigned(len, " jnum(ohi[o]) ") <= 0"
  else if (ooutlen[o] != "") c = "len == " jlen(o "out")
  else c = ""
  if (c != "") e = e (e == "" ? "" : " && ") c
  return e == "" ? "true" : e
}
# Java: a length formula over w0..w3 (wrapping, as the uint64_t of the C side).
function jlen(prefix,   i, e) {
  e = jnum(L[prefix, "add"])
  for (i = 0; i < 4; i++) if (L[prefix, i] != 0) e = e " + " (L[prefix, i] == 1 ? "" : jnum(L[prefix, i]) " * ") "w" i
  return e
}
' "$def" > "$tmp" || { rm -f "$tmp"; exit 1; }
mv "$tmp" "$out"
