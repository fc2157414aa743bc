import LockhuntBasics
import LockhuntLanguage

/// Types of model values after resolution. Everything is an integer at run time; the type says
/// how many bits it takes in a state and which operations make sense.
public enum ValueType: Equatable, Hashable, Sendable, CustomStringConvertible {
    case int
    case bool
    /// 1-based folio id; 0 is NULL.
    case folio
    /// 1-based buffer id; 0 is NULL.
    case buffer
    /// Id of an immutable list in the program's list table; the elements' type is given.
    case list(ElementKind)
    /// A set of folios, as a bit mask over folio ids. Passed by reference, like a list_head.
    case set
    /// An enum's values, as an unsigned integer. The payload indexes `Program.enums`.
    case enumeration(Int)
    case void

    public enum ElementKind: Equatable, Hashable, Sendable {
        case folio, buffer
        public var type: ValueType { self == .folio ? .folio : .buffer }
    }

    public var description: String {
        switch self {
        case .int: return "int"
        case .bool: return "bool"
        case .folio: return "folio"
        case .buffer: return "buffer"
        case .list(let e): return e == .folio ? "list of folios" : "list of buffers"
        case .set: return "set"
        case .enumeration: return "enum"
        case .void: return "void"
        }
    }

    /// With an article, for messages: "an int", "a folio".
    public var withArticle: String {
        switch self {
        case .int: return "an int"
        case .enumeration: return "an enum value"
        case .void: return "void"
        default: return "a \(description)"
        }
    }

    /// int, bool and enum values mix freely, as in C.
    public var isScalar: Bool {
        switch self {
        case .int, .bool, .enumeration: return true
        default: return false
        }
    }

    public var isObject: Bool { self == .folio || self == .buffer }
}

/// The range of a model `int`: 16 bits, signed. Enough for error codes, counters and pass numbers;
/// a value outside it is reported as a violation rather than wrapped silently.
public enum IntRange {
    public static let bits = 16
    public static let min: Int64 = -32768
    public static let max: Int64 = 32767
}

/// Flags of a folio (PG_*), each one bit per folio in the state.
public enum FolioFlag: Int, CaseIterable, Sendable {
    case locked = 0, writeback, uptodate, dirty, lru

    public var kernelName: String {
        switch self {
        case .locked: return "PG_locked"
        case .writeback: return "PG_writeback"
        case .uptodate: return "PG_uptodate"
        case .dirty: return "PG_dirty"
        case .lru: return "PG_lru"
        }
    }

    public var attribute: String {
        switch self {
        case .locked: return "locked"
        case .writeback: return "writeback"
        case .uptodate: return "uptodate"
        case .dirty: return "dirty"
        case .lru: return "lru"
        }
    }
}

/// Flags of a buffer head (BH_*).
public enum BufferFlag: Int, CaseIterable, Sendable {
    case locked = 0, uptodate, dirty

    public var kernelName: String {
        switch self {
        case .locked: return "BH_Lock"
        case .uptodate: return "BH_Uptodate"
        case .dirty: return "BH_Dirty"
        }
    }

    public var attribute: String {
        switch self {
        case .locked: return "locked"
        case .uptodate: return "uptodate"
        case .dirty: return "dirty"
        }
    }
}
