/// A condition under which a statement runs, as read from the code around it.
public struct Condition: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// In the `then` branch of `if (text)`.
        case ifTrue = "if"
        /// In the `else` branch of `if (text)`.
        case ifFalse = "else"
        /// After `if (text) <jump>;` in the same block, with no label in between: reached only
        /// when `text` was false (`jump` says how the other case left).
        case guardFalse = "guard"
        /// After `case text:` (or `default:`, whose text is `default`) of `switch (switchOn)`;
        /// or, with a `jump`, after a switch whose other cases (`default` among them) left by
        /// that jump: only the cases in `text` fall out of it.
        case switchCase = "case"
    }

    public let kind: Kind
    /// The controlling expression (for a switch case: the labels, `A, B` when several).
    public let text: String
    /// The negation of `text` in readable C (`mode != MIGRATE_ASYNC` for `mode == MIGRATE_ASYNC`).
    public let negatedText: String
    /// For `switchCase`: the switch's expression.
    public let switchOn: String?
    /// For `guardFalse`: the jump the true case took (`goto out`, `return`, `break`, `continue`);
    /// for a `switchCase` that holds after its switch: the jumps of the other cases.
    public let jump: String?
    /// 1-based line of the `if`, `case` or `default`.
    public let line: Int

    public init(kind: Kind, text: String, negatedText: String, switchOn: String? = nil, jump: String? = nil, line: Int) {
        self.kind = kind
        self.text = text
        self.negatedText = negatedText
        self.switchOn = switchOn
        self.jump = jump
        self.line = line
    }

    /// What holds at the statement, in C: `if (!folio_trylock(src))`,
    /// `else of if (mode == MIGRATE_ASYNC)`, `mode != MIGRATE_ASYNC` (past a `goto out`),
    /// `case MIGRATE_SYNC in switch (mode)`.
    public var description: String {
        switch kind {
        case .ifTrue: return "if (\(text))"
        case .ifFalse: return "else of if (\(text))"
        case .guardFalse: return "\(negatedText) (else \(jump ?? "jump"))"
        case .switchCase:
            let label = text == "default" ? "default" : "case \(text)"
            return "\(label) in switch (\(switchOn ?? ""))" + (jump.map { " (else \($0))" } ?? "")
        }
    }
}

/// A loop around a statement.
public struct LoopContext: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case forLoop = "for", whileLoop = "while", doWhile = "do"
        /// A kernel iteration macro: a call-like `*for_each*` followed by a statement or block.
        case macro
        /// The statements between a label and a later `goto` to it (`goto retry`).
        case backwardGoto = "goto"
    }

    public let kind: Kind
    /// The loop's head: `for (i = 0; i < n; i++)`, `list_for_each_entry_safe(folio, folio2, from, lru)`,
    /// `do … while (rc == -EAGAIN)`, `retry: … goto retry`.
    public let text: String
    /// 1-based line of the loop's head (of the label for a backward goto).
    public let line: Int

    public init(kind: Kind, text: String, line: Int) {
        self.kind = kind
        self.text = text
        self.line = line
    }

    public var description: String { text }
}

/// A call in a function's body.
public struct CallSite: Sendable, Hashable, CustomStringConvertible {
    /// The name called; for an indirect call, the member or variable the pointer is read from
    /// (`migrate_folio` for `mapping->a_ops->migrate_folio(...)`).
    public let callee: String
    /// True for calls through a function pointer: a member (`ops->x(...)`, `a.b(...)`),
    /// a parameter of the function (`get_new_folio(src, private)` when `get_new_folio` is a
    /// parameter), or `(*fn)(...)`.
    public let isIndirect: Bool
    /// For an indirect call through a member: what the member is read from (`mapping->a_ops`).
    public let receiver: String?
    /// The arguments' texts (each cut to `TokenText.maximumLength`).
    public let arguments: [String]
    /// 1-based line of the callee's name.
    public let line: Int
    /// Loops around the call, nearest first (structured loops first, then backward gotos).
    public let loops: [LoopContext]
    /// Conditions the call runs under, nearest first.
    public let conditions: [Condition]
    /// True when the call is in the controlling expression of an `if`, `switch` or loop, rather
    /// than in the statements they control (`folio_trylock` in `if (!folio_trylock(src))`).
    public let inControllingExpression: Bool

    public init(callee: String, isIndirect: Bool, receiver: String?, arguments: [String], line: Int,
                loops: [LoopContext], conditions: [Condition], inControllingExpression: Bool) {
        self.callee = callee
        self.isIndirect = isIndirect
        self.receiver = receiver
        self.arguments = arguments
        self.line = line
        self.loops = loops
        self.conditions = conditions
        self.inControllingExpression = inControllingExpression
    }

    /// Whether a loop surrounds the call.
    public var inLoop: Bool { !loops.isEmpty }

    /// `folio_lock(src) @ 1252 under if (!folio_trylock(src)), mode != MIGRATE_ASYNC (else goto out)`.
    public var description: String {
        var s = (isIndirect ? (receiver.map { $0 + "->" } ?? "*") : "") + callee + "(" + arguments.joined(separator: ", ") + ") @ \(line)"
        if !loops.isEmpty { s += " in loop " + loops.map(\.text).joined(separator: " < ") }
        if !conditions.isEmpty { s += " under " + conditions.map(\.description).joined(separator: ", ") }
        return s
    }
}

/// What a function's body does, as far as calls go.
public struct FunctionBody: Sendable {
    /// The function read.
    public let function: FunctionDefinition
    /// Every call, in source order.
    public let calls: [CallSite]
    /// Labels defined in the body (`out`, `retry`).
    public let labels: [String]
    /// Whether the body was nested deeper than the reader follows; calls beyond that depth are
    /// still recorded, with the conditions and loops known at the limit.
    public let truncatedNesting: Bool
}
