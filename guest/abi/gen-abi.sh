#!/bin/sh
# Generate the C header or the Java class from abi.def.
#   gen-abi.sh c    OUT.h
#   gen-abi.sh java OUT.java
set -eu
kind=$1 out=$2
def=$(dirname "$0")/abi.def
mkdir -p "$(dirname "$out")"
tmp=$out.tmp
case $kind in
c)
  awk '
    BEGIN { print "/* Generated from guest/abi/abi.def by gen-abi.sh: do not edit. */";
            print "#ifndef REWIND_ABI_H"; print "#define REWIND_ABI_H"; print "" }
    /^[ \t]*(#|$)/ { next }
    { c = ""; for (i = 4; i <= NF; i++) c = c (i > 4 ? " " : "") $i
      if (c != "") c = "  /* " c " */"
      if ($1 == "syscall") printf "#define SYS_%s %s%s\n", $2, $3, c
      else if ($1 == "error") printf "#define RW_%s (%s)%s\n", $2, $3, c
      else if ($1 == "const") printf "#define RW_%s %sUL%s\n", $2, $3, c
      else { print "abi.def: unknown kind " $1 > "/dev/stderr"; exit 1 } }
    END { print ""; print "#endif" }' "$def" > "$tmp" ;;
java)
  awk '
    BEGIN { print "// Generated from guest/abi/abi.def by gen-abi.sh: do not edit.";
            print "package dev.rewind.abi;"; print "";
            print "/** Syscall numbers, error codes and layout constants shared with the guest SDK. */";
            print "public final class Abi {"; print "    private Abi() {}"; n = 0; e = 0 }
    /^[ \t]*(#|$)/ { next }
    { c = ""; for (i = 4; i <= NF; i++) c = c (i > 4 ? " " : "") $i
      gsub(/\*\//, "", c)
      if ($1 == "syscall") { printf "    /** %s */\n    public static final int SYS_%s = %s;\n", c, $2, $3; sn[n] = $2; sv[n++] = $3 }
      else if ($1 == "error") { printf "    /** %s */\n    public static final long %s = %s;\n", c, $2, $3; en[e] = $2; ev[e++] = $3 }
      else if ($1 == "const") printf "    /** %s */\n    public static final long %s = %s;\n", c, $2, ($3 ~ /^0x/ ? $3 "L" : $3 "L")
      else { print "abi.def: unknown kind " $1 > "/dev/stderr"; exit 1 } }
    END {
      print "";
      print "    /** Syscall name by number, or null. */";
      print "    public static String syscallName(long nr) {";
      print "        return switch ((int) Math.max(Math.min(nr, Integer.MAX_VALUE), Integer.MIN_VALUE)) {";
      for (i = 0; i < n; i++) printf "            case %s -> \"%s\";\n", sv[i], sn[i];
      print "            default -> null;"; print "        };"; print "    }"; print "";
      print "    /** Error name by (negative) code, or null. */";
      print "    public static String errorName(long code) {";
      print "        return switch ((int) Math.max(Math.min(code, Integer.MAX_VALUE), Integer.MIN_VALUE)) {";
      for (i = 0; i < e; i++) printf "            case %s -> \"%s\";\n", ev[i], en[i];
      print "            default -> null;"; print "        };"; print "    }";
      print "}" }' "$def" > "$tmp" ;;
*) echo "usage: gen-abi.sh c|java OUT" >&2; exit 2 ;;
esac
mv "$tmp" "$out"
