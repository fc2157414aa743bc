/// Reconciles the branches of `#if`/`#ifdef`/`#else`/`#endif` groups, which the lexer keeps
/// all of, so that they never unbalance braces or parentheses.
///
/// Keeping every branch shows the lock operations of every configuration, which is what an audit
/// wants, and is harmless when each branch is balanced or when the branches complement each
/// other. The usual trouble is two alternative openings:
///
/// ```c
/// #ifdef CONFIG_X
///     if (a) {
/// #else
///     if (b) {
/// #endif
/// ```
///
/// Kept together they open two braces for one close. The rule: when the live branches of a group
/// together change the brace or parenthesis depth differently from the first live branch alone,
/// only the first live branch is kept. Nested groups are reconciled first and count with the
/// depth change of what they kept. Dead branches (`#if 0`, `#else` of `#if 1`) have no tokens.
enum ConditionalBranches {
    private struct Branch {
        /// Index in the output of the branch's first token.
        var start: Int
        var braces = 0
        var parens = 0
        var dead = false
    }

    private struct Group {
        var branches: [Branch]
        let line: Int
    }

    /// Removes directive markers from `tokens`, dropping the later branches of groups that would
    /// unbalance braces or parentheses; appends a note for each group reduced so.
    static func reconcile(_ tokens: [CToken], notes: inout [LexerNote]) -> [CToken] {
        var out: [CToken] = []
        out.reserveCapacity(tokens.count)
        var stack: [Group] = []

        func close(_ group: Group, into stack: inout [Group], out: inout [CToken]) {
            let live = group.branches.filter { !$0.dead }
            var braces = live.reduce(0) { $0 + $1.braces }
            var parens = live.reduce(0) { $0 + $1.parens }
            if live.count >= 2, braces != live[0].braces || parens != live[0].parens {
                out.removeSubrange(live[1].start..<out.count)
                braces = live[0].braces
                parens = live[0].parens
                notes.append(LexerNote(
                    line: group.line,
                    message: "conditional group's branches unbalance braces or parentheses together; kept only its first branch"))
            }
            if !stack.isEmpty {
                stack[stack.count - 1].branches[stack[stack.count - 1].branches.count - 1].braces += braces
                stack[stack.count - 1].branches[stack[stack.count - 1].branches.count - 1].parens += parens
            }
        }

        for token in tokens {
            if token.kind == .directive {
                switch token.text {
                case "if", "if-dead":
                    stack.append(Group(branches: [Branch(start: out.count, dead: token.text == "if-dead")], line: token.line))
                case "else", "else-dead":
                    guard !stack.isEmpty else { continue }
                    stack[stack.count - 1].branches.append(Branch(start: out.count, dead: token.text == "else-dead"))
                default:  // endif
                    guard let group = stack.popLast() else { continue }
                    close(group, into: &stack, out: &out)
                }
                continue
            }
            out.append(token)
            if !stack.isEmpty, token.kind == .punctuator {
                let delta: (Int, Int)
                switch token.text {
                case "{": delta = (1, 0)
                case "}": delta = (-1, 0)
                case "(": delta = (0, 1)
                case ")": delta = (0, -1)
                default: continue
                }
                let g = stack.count - 1, b = stack[g].branches.count - 1
                stack[g].branches[b].braces += delta.0
                stack[g].branches[b].parens += delta.1
            }
        }
        while let group = stack.popLast() {
            close(group, into: &stack, out: &out)
        }
        return out
    }
}
