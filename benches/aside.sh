#!/bin/sh
# Moves a build's output folder aside, so the next build starts from scratch (benches/build_bench.py).
# Not deleted here: on ext4, creating files within minutes of deleting thousands makes the kernel
# scan the recently freed inodes (`recently_deleted` in the allocator) and costs either tool
# seconds of system time; the bench removes the moved folders at the end.
[ -e "$1" ] || exit 0
mkdir -p "$1.aside" && mv "$1" "$1.aside/$(date +%s%N)"
