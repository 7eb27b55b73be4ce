#!/bin/sh
# Moves a build's output folder aside, so the next build starts from scratch (benches/build_bench.py).
# Not deleted here: on ext4, creating files within minutes of deleting thousands makes the kernel
# scan the recently freed inodes (`recently_deleted` in the allocator) and costs either tool
# seconds of system time; the bench removes the moved folders at the end.
# Then `sync`: the previous run's dirty pages (up to 5 GB at 1000x) are written back before the
# next run starts, so a run is not charged for its predecessor's writeback (kernel flusher
# threads and journal commits competing for the two cores), which made the second of two
# back-to-back runs up to twice as slow in system time.
if [ -e "$1" ]; then
    mkdir -p "$1.aside" && mv "$1" "$1.aside/$(date +%s%N)" || exit 1
fi
sync
