import Testing
import KernelSource

@Suite("CLexer: comments, literals and preprocessor lines never reach the parser")
struct LexerTests {
    let lexed = Fixture.lex("lexer.c")

    var identifiers: Set<String> { Set(lexed.tokens.filter { $0.kind == .identifier }.map(\.text)) }

    @Test("names inside comments, line-comment continuations, #defines and dead #if blocks are not tokens")
    func hiddenNames() {
        for hidden in ["hidden_in_comment", "hidden_in_continuation", "LOCK_TWO", "STRANGE_DEFINE", "dead_function",
                       "dead_nested", "dropped_by_if1", "CONFIG_NESTED", "include"] {
            #expect(!identifiers.contains(hidden), "\(hidden) leaked into the tokens")
        }
        for alive in ["alive_after_if0", "kept_by_if1", "braces_in_strings", "choose_branch", "after_branches"] {
            #expect(identifiers.contains(alive), "\(alive) is missing")
        }
        #expect(lexed.tokens.allSatisfy { $0.kind != .directive })
    }

    @Test("braces and quotes inside string and character literals are literals")
    func literals() {
        let strings = lexed.tokens.filter { $0.kind == .string }.map(\.text)
        #expect(strings.contains("\"} not a brace { nor folio_lock(x) \\\" still in the string }\""))
        #expect(strings.contains("\"\\\"{\""))
        let characters = lexed.tokens.filter { $0.kind == .character }.map(\.text)
        #expect(characters == ["'{'", "'}'", "'\\''", "'\\\\'", "'\"'"])
        // Every brace left is code, so they balance.
        let opens = lexed.tokens.filter { $0.isPunctuator("{") }.count
        let closes = lexed.tokens.filter { $0.isPunctuator("}") }.count
        #expect(opens == closes && opens > 0)
    }

    @Test("tokens carry the line of the original file")
    func lines() {
        let pr = lexed.tokens.first { $0.isIdentifier("pr_info") }
        #expect(pr?.line == Fixture.line("pr-info", in: "lexer.c"))
        let after = lexed.tokens.first { $0.isIdentifier("after_branches") }
        #expect(after?.line == Fixture.line("after-branches", in: "lexer.c"))
        let alive = lexed.tokens.first { $0.isIdentifier("folio_unlock") }
        #expect(alive?.line == Fixture.line("alive-unlock", in: "lexer.c"))
        #expect(lexed.lineCount == Fixture.text("lexer.c").split(separator: "\n", omittingEmptySubsequences: false).count - 1)
    }

    @Test("#if/#else branches that would open two braces keep only the first; balanced branches are both kept")
    func conditionalBranches() {
        let body = Fixture.body("choose_branch", in: "lexer.c")
        let ifs = body?.calls.first { $0.callee == "folio_lock" }?.conditions.map(\.description)
        #expect(ifs == ["if (x > 0)"])
        #expect(body?.call("folio_wait_writeback", at: Fixture.line("ifdef-kept-1", in: "lexer.c")) != nil)
        #expect(body?.call("folio_wait_stable", at: Fixture.line("ifdef-kept-2", in: "lexer.c")) != nil)
        #expect(lexed.notes.contains { $0.message.contains("kept only its first branch") })
        // The function after the branches is still found whole.
        let after = Fixture.functions("lexer.c").first { $0.name == "after_branches" }
        #expect(after?.firstLine == Fixture.line("after-branches", in: "lexer.c"))
        #expect(after?.bodyComplete == true)
    }

    @Test("escapes, splices, CRLF, numbers and punctuators")
    func smallCases() {
        let t = CLexer.lex("a = '\\'' + \"x\\\"y\";\r\nb->c <<= 0x1fUL + 1e+5 + .5;\r\nf(...);\\\ng")
        #expect(t.tokens.map(\.text) == ["a", "=", "'\\''", "+", "\"x\\\"y\"", ";", "b", "->", "c", "<<=", "0x1fUL", "+", "1e+5",
                                         "+", ".5", ";", "f", "(", "...", ")", ";", "g"])
        #expect(t.tokens.map(\.line) == [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4])
        #expect(t.tokens.first { $0.text == "c" }?.column == 4)
    }

    @Test("unterminated literals stop at their line, unterminated comments at the end, with a note")
    func unterminated() {
        let s = CLexer.lex("x = \"open\ny = 'c\nz /* never closed\n{ }")
        #expect(s.tokens.map(\.text) == ["x", "=", "\"open", "y", "=", "'c", "z"])
        #expect(s.tokens.map(\.line) == [1, 1, 1, 2, 2, 2, 3])
        #expect(s.notes.contains { $0.message.contains("comment not closed") })
    }

    @Test("#if 0 ends at its own #endif: nested groups and #endif inside comments do not end it; #elif is live")
    func deadRegions() {
        let s = CLexer.lex("""
        #if 0
        #ifdef X
        dead1
        #endif
        /*
        #endif
        */ dead2
        #elif defined(Y)
        live1
        #else
        live2
        #endif
        #if 1
        live3
        #elif Z
        dead3
        #else
        dead4
        #endif
        live4
        """)
        #expect(s.tokens.map(\.text) == ["live1", "live2", "live3", "live4"])
        #expect(s.tokens.map(\.line) == [9, 11, 14, 20])
    }

    @Test("bytes that are not C (invalid UTF-8, NUL, controls) are skipped outside literals, kept inside")
    func oddBytes() {
        let bytes: [UInt8] = [0x61, 0x00, 0xFF, 0x62, 0x0A, 0x22, 0xC3, 0x28, 0x22, 0x01, 0x63]
        let s = CLexer.lex(bytes)
        #expect(s.tokens.map(\.text) == ["a", "b", "\"\u{FFFD}(\"", "c"])
        #expect(s.tokens.map(\.line) == [1, 1, 2, 2])
    }

    @Test("function-like macros that start with a call are kept as aliases; other macros are not")
    func macroAliases() {
        let s = CLexer.lex("""
        #define split_folio_to_list(f, l) split_folio_to_list_to_order(f, l, 0)
        #define NR_PAGES 10
        #define lock_two(a, b) do { folio_lock(a); folio_lock(b); } while (0)
        #define wrapped(x) \\
        \tinner_call((x)->folio, \\
        \t\t   GFP_KERNEL)
        #if 0
        #define dead_alias(x) folio_lock(x)
        #endif
        #define spaced (x) not_a_function_like_macro(x)
        code_after(1);
        """)
        #expect(s.macroAliases.map(\.name) == ["split_folio_to_list", "wrapped"])
        #expect(s.macroAliases.first?.target == "split_folio_to_list_to_order")
        #expect(s.macroAliases.first?.parameters == ["f", "l"])
        #expect(s.macroAliases.first?.arguments == ["f", "l", "0"])
        #expect(s.macroAliases.last?.arguments == ["(x)->folio", "GFP_KERNEL"])
        #expect(s.macroAliases.last?.line == 4)
        #expect(s.tokens.map(\.text) == ["code_after", "(", "1", ")", ";"])
        #expect(s.tokens.first?.line == 11)
        #expect(lexed.macroAliases.isEmpty)  // lexer.c's macros are statements and constants
    }

    @Test("an input over the size limit is refused with a note, not read")
    func sizeLimit() {
        let s = CLexer.lex(Array(repeating: UInt8(ascii: "a"), count: 11), limit: 10)
        #expect(!s.complete)
        #expect(s.tokens.isEmpty)
        #expect(s.notes.first?.message.contains("over the limit") == true)
        #expect(CLexer.lex(Array(repeating: UInt8(ascii: "a"), count: 10), limit: 10).tokens.count == 1)
    }
}
