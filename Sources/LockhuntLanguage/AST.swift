import LockhuntBasics

/// The syntax tree of one model file, as written. Names are not yet resolved; that is the
/// compiler's job (Program/), which reports unknown names with "did you mean".

public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        case integer(Int64)
        case boolean(Bool)
        case null
        case name(String)
        /// `current->flags`: the running task's PF_* flags.
        case currentFlags
        case unary(UnaryOp, Expr)
        case binary(BinaryOp, Expr, Expr)
        case ternary(Expr, Expr, Expr)
        case call(String, [Expr])
        case index(Expr, Expr)
        /// `P[a..b]`: folios a to b-1 of array P (constant bounds).
        case slice(Expr, Expr, Expr)
        case list([Expr])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, _ location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

public enum UnaryOp: String, Sendable { case not = "!", negate = "-", complement = "~" }

public enum BinaryOp: String, Sendable {
    case or = "||", and = "&&"
    case bitOr = "|", bitXor = "^", bitAnd = "&"
    case equal = "==", notEqual = "!="
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case shiftLeft = "<<", shiftRight = ">>"
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    /// `f in s`: set membership.
    case member = "in"
}

public enum AssignOp: String, Sendable {
    case assign = "=", add = "+=", subtract = "-=", bitOr = "|=", bitAnd = "&=", bitXor = "^="
    case multiply = "*=", divide = "/=", remainder = "%=", shiftLeft = "<<=", shiftRight = ">>="
}

/// A type as written: `int`, `bool`, `folio`, `buffer`, `list`, `set`, `enum migrate_mode`, ...
public struct TypeName: Sendable, Equatable {
    public var name: String
    public var location: SourceLocation
    public init(_ name: String, _ location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

public struct Stmt: Sendable {
    public indirect enum Kind: Sendable {
        case block([Stmt])
        case declaration(TypeName, [(name: String, location: SourceLocation, initial: Expr?)])
        case expression(Expr)
        case assign(Expr, AssignOp, Expr)
        /// `x++` / `x--` as statements.
        case increment(Expr, Int64)
        case ifElse(Expr, Stmt, Stmt?)
        /// `for (x in list) body`
        case forEach(String, SourceLocation, Expr, Stmt)
        /// `for ([int] i = a; i < b [&& cond]; i++) body`
        case forCount(ForCount)
        case switchCase(Expr, [SwitchArm])
        case breakLoop
        case continueLoop
        case returnValue(Expr?)
        case gotoLabel(String)
        case label(String, Stmt)
        case either([Stmt])
        case assert(Expr, String)
        case waitEvent(Expr)
        case empty
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, _ location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

public struct ForCount: Sendable {
    public var declares: Bool
    public var variable: String
    public var variableLocation: SourceLocation
    public var start: Expr
    /// The bound of `i < bound` (or `i <= bound`, stored as inclusive = true).
    public var bound: Expr
    public var inclusive: Bool
    /// Extra condition joined with `&&`, checked before each iteration as C does.
    public var extra: Expr?
    public var body: Stmt
}

public struct SwitchArm: Sendable {
    /// nil for `default`.
    public var value: Expr?
    public var location: SourceLocation
    public var body: [Stmt]
}

public struct Attribute: Sendable {
    public var name: String
    public var value: Expr?
    public var location: SourceLocation
}

public struct Parameter: Sendable {
    public var type: TypeName
    public var name: String
    public var location: SourceLocation
}

public enum FunctionLinkage: Sendable { case normal, weak, override }

public struct FunctionDecl: Sendable {
    public var linkage: FunctionLinkage
    public var returnType: TypeName
    public var name: String
    public var parameters: [Parameter]
    public var body: Stmt
    public var location: SourceLocation
}

public struct ThreadDecl: Sendable {
    public var name: String
    /// `thread w[i < N]`: N copies, the copy's number in `i`.
    public var replica: (index: String, count: Expr)?
    public var body: Stmt
    public var location: SourceLocation
}

public enum Verdict: String, Sendable, Codable, CaseIterable {
    case ok, deadlock, violation
}

public struct Expectation: Sendable {
    public var verdict: Verdict
    public var policies: [(name: String, location: SourceLocation)]
    public var location: SourceLocation
}

public enum Declaration: Sendable {
    case include(String, SourceLocation)
    case param(String, Expr, SourceLocation)
    case constant(TypeName?, String, Expr, SourceLocation)
    case enumeration(String?, [(name: String, value: Expr?, location: SourceLocation)], SourceLocation)
    /// `folio X[N] { attrs };`
    case folio(String, Expr?, [Attribute], SourceLocation)
    /// `buffer bh[N] of X { attrs };`
    case buffer(String, Expr?, Expr, [Attribute], SourceLocation)
    /// `shared int x[N] = 0;` / `shared bool b[folio];`
    case shared(TypeName, String, SharedShape, Expr?, SourceLocation)
    case thread(ThreadDecl)
    case function(FunctionDecl)
    case expect(Expectation)
}

public enum SharedShape: Sendable {
    case scalar
    case array(Expr)
    case perFolio
}

/// One parsed file.
public struct ModelFile: Sendable {
    public var file: SourceFile
    public var declarations: [Declaration]
}

/// A verdict the model expects under a policy, from `expect ... under ...`.
public struct ExpectedVerdict: Sendable {
    public var policy: String
    public var verdict: Verdict
    public var location: SourceLocation

    package init(policy: String, verdict: Verdict, location: SourceLocation) {
        self.policy = policy
        self.verdict = verdict
        self.location = location
    }
}
