import LockhuntBasics
import LockhuntProgram

/// A run-time error in a step: an assertion that failed, or a kernel rule the model broke
/// (unlocking a folio that is not locked, ...). Reported as a violation with its trace.
public struct Fault: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case none = 0
        case assertion
        case folioUnlockNotLocked
        case bufferUnlockNotLocked
        case startWritebackNotLocked
        case startWritebackTwice
        case endWritebackNotUnderWriteback
        case nullFolio
        case nullBuffer
        case indexOutOfRange
        case divisionByZero
        case valueOutOfRange
        /// A thread ran more than `Machine.localInstructionLimit` local instructions without a
        /// visible step (`value`: the limit).
        case localComputationTooLong
        /// An addition, subtraction, multiplication, negation, division or left shift whose
        /// exact result does not fit in 64 bits (`operation` says which; `value` and `extra`
        /// are its operands).
        case arithmeticOverflow
        /// A shift by a count outside 0...63 (`value` shifted by `extra`).
        case shiftCountOutOfRange
    }

    /// The operator of an `.arithmeticOverflow` or `.shiftCountOutOfRange`.
    public enum Operation: UInt8, Sendable {
        case none = 0, add, subtract, multiply, divide, negate, shiftLeft, shiftRight

        /// `a * b`, or `-(a)` for a negation, as the model would write it.
        public func text(_ a: Int64, _ b: Int64) -> String {
            switch self {
            case .none: return "\(a) ? \(b)"
            case .negate: return "-(\(a))"
            case .add: return "\(a) + \(b)"
            case .subtract: return "\(a) - \(b)"
            case .multiply: return "\(a) * \(b)"
            case .divide: return "\(a) / \(b)"
            case .shiftLeft: return "\(a) << \(b)"
            case .shiftRight: return "\(a) >> \(b)"
            }
        }
    }

    public var kind: Kind = .none
    /// Global pc of the instruction that faulted.
    public var pc: Int32 = -1
    /// The object, index or value involved.
    public var value: Int64 = 0
    /// A second number: an array length, the field written.
    public var extra: Int64 = 0
    /// The operator, for the arithmetic faults.
    public var operation: Operation = .none

    public init() {}
}
