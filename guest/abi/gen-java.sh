#!/bin/sh
# Generate the Java side of the ABI and of every protocol into package dev.rewind.abi:
#   gen-java.sh OUTDIR     OUTDIR/Abi.java from abi.def, OUTDIR/<Name>.java from each NAME.proto
set -eu
out=$1
dir=$(dirname "$0")
sh "$dir/gen-abi.sh" java "$out/Abi.java"
for def in "$dir"/*.proto; do
  name=$(basename "$def" .proto)
  class=$(printf '%s' "$name" | awk '{ print toupper(substr($0, 1, 1)) substr($0, 2) }')
  sh "$dir/gen-proto.sh" java "$def" "$out/$class.java"
done
