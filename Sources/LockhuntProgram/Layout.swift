import LockhuntBasics
import LockhuntLanguage

/// The packed state. A state is a fixed number of 64-bit words; every variable, flag and program
/// counter is a bit field at a fixed place in it. Layout, low bits first:
///
///     [ folio flag bitmaps some instruction changes (of PG_locked, PG_writeback, PG_uptodate,
///       PG_dirty, PG_lru), one bit per folio ]
///     [ buffer flag bitmaps some instruction changes (of BH_Lock, BH_Uptodate, BH_Dirty) ]
///     [ shared variables ]
///     [ thread 0 locals ] [ thread 1 locals ] ...   (locals of sibling scopes share bits)
///     [ program counters and task flags of all threads ]
///     --- from a word boundary (`Program.storedWordsPerState`): ---
///     [ the flag bitmaps no instruction changes ]
///
/// The last region is the same in every state (its initial value), so the visited set does not
/// store it (StateStore): a model with 128 folios that never changes PG_uptodate or PG_lru saves
/// four words per state.
/// A field never straddles a word, except sets wider than 64 folios, which take whole words.
/// Fields are placed in declaration order, so the same model always gives the same layout.
public struct Field: Sendable {
    public var word: Int32
    public var shift: UInt8
    public var signed: Bool
    public var width: UInt16
    /// `width` low bits set (all 64 for wide fields).
    public var mask: UInt64

    public init(word: Int, shift: Int, width: Int, signed: Bool) {
        self.word = Int32(word)
        self.shift = UInt8(shift)
        self.width = UInt16(width)
        self.signed = signed
        self.mask = width >= 64 ? ~0 : (UInt64(1) << UInt64(width)) - 1
    }

    /// Words a multi-word set occupies (1 for everything else).
    public var wordCount: Int { width <= 64 ? 1 : (Int(width) + 63) / 64 }
}

/// Hands out bit positions. Thread-local allocation is a stack: `mark`/`release` let sibling
/// scopes reuse the same bits (values are re-initialised at declaration, and dead ones are
/// cleared at every step, so reuse never leaks a value).
public struct BitAllocator {
    public private(set) var position = 0
    public private(set) var highWater = 0

    public init(start: Int = 0) {
        position = start
        highWater = start
    }

    public mutating func allocate(width: Int, signed: Bool = false) -> Field {
        precondition(width >= 1)
        if width > 64 {
            position = (position + 63) / 64 * 64
            let f = Field(word: position / 64, shift: 0, width: width, signed: false)
            position += (width + 63) / 64 * 64
            highWater = max(highWater, position)
            return f
        }
        if position % 64 + width > 64 { position = (position + 63) / 64 * 64 }
        let f = Field(word: position / 64, shift: position % 64, width: width, signed: signed)
        position += width
        highWater = max(highWater, position)
        return f
    }

    public var mark: Int { position }
    public mutating func release(to mark: Int) { position = mark }

    /// Skip to a later position (used to start a new region after another's high-water mark).
    public mutating func jump(to p: Int) {
        position = p
        highWater = max(highWater, p)
    }
}

/// Bits needed to store values 0...maxValue (at least 1). No loop over shifts: `1 << 64` is
/// 0 in Swift, and a loop up to `maxValue` = Int.max (a local initialised to 2^63 - 1) never
/// ended.
public func bitsFor(_ maxValue: Int) -> Int {
    maxValue <= 1 ? 1 : Int.bitWidth - maxValue.leadingZeroBitCount
}
