/// Overflow-checked arithmetic for file offsets and sizes read from a PE image.
enum OffsetMath {
    /// `a + b`, or nil on overflow.
    static func add(_ a: Int, _ b: Int) -> Int? {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : sum
    }

    /// A 32-bit on-disk value as an offset; `Int.max` where `Int` cannot hold it, which fails
    /// every later bounds check instead of trapping.
    static func offset(_ value: UInt32) -> Int {
        Int(exactly: value) ?? Int.max
    }

    /// `value` rounded up to the next multiple of 4, or nil on overflow.
    static func align4(_ value: Int) -> Int? {
        guard let bumped = add(value, 3) else { return nil }
        return bumped & ~3
    }
}
