/// The capacity an array holding `count` elements has when it grew by doubling from one.
///
/// Memory statistics count this rather than `Array.capacity`: the real capacity includes the
/// allocator's rounding of each block (`malloc_usable_size`), which differs from run to run in
/// one process, and the statistics (and where `--max-memory` stops) must be the same for the
/// same input every time.
package func doublingCapacity(_ count: Int) -> Int {
    count <= 1 ? count : 1 << (Int.bitWidth - (count - 1).leadingZeroBitCount)
}
