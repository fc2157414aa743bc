import Foundation

/// One file of a source set, read and indexed.
public struct SourceFile: Sendable {
    /// The path relative to the set's root (`mm/migrate.c`).
    public let path: String
    /// Whether it is a header (`.h`): its static functions are visible to every file.
    public var isHeader: Bool { path.hasSuffix(".h") }
    public let lexed: LexedSource
    public let functions: [FunctionDefinition]
}

/// Why a file of a source set could not be read.
public struct SourceSetProblem: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// A set of kernel source files (a tree's root and paths relative to it), lexed, with their
/// function definitions indexed and their bodies read.
///
/// Files that are missing, unreadable, not regular files, or over `CLexer.maximumInputSize`
/// are listed in `problems`, not fatal: a tree before a patch may lack a file the tree after has.
public struct KernelSourceSet: Sendable {
    public let root: String?
    public let files: [SourceFile]
    public let problems: [SourceSetProblem]
    public let index: FunctionIndex
    /// The body of each definition of `index.definitions`, at the same position.
    public let bodies: [FunctionBody]
    private let bodyIndex: [String: [Int]]
    /// Function-like macros that start with a call (`MacroAlias`), read as functions whose
    /// body is that call; followed only when no function of the name is defined.
    public let macroBodies: [String: [FunctionBody]]

    /// Reads `paths` (relative to `root`).
    public init(root: String, paths: [String]) {
        var sources: [(String, [UInt8])] = []
        var problems: [SourceSetProblem] = []
        let fm = FileManager.default
        for path in paths {
            let full = (root as NSString).appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: full, isDirectory: &isDirectory) else {
                problems.append(SourceSetProblem(path: path, message: "no such file"))
                continue
            }
            guard !isDirectory.boolValue,
                  let attributes = try? fm.attributesOfItem(atPath: full),
                  attributes[.type] as? FileAttributeType == .typeRegular else {
                problems.append(SourceSetProblem(path: path, message: "not a regular file"))
                continue
            }
            if let size = attributes[.size] as? Int, size > CLexer.maximumInputSize {
                problems.append(SourceSetProblem(path: path, message: "\(size) bytes, over the limit of \(CLexer.maximumInputSize); not read"))
                continue
            }
            guard let data = fm.contents(atPath: full) else {
                problems.append(SourceSetProblem(path: path, message: "cannot be read"))
                continue
            }
            sources.append((path, [UInt8](data)))
        }
        self.init(root: root, sources: sources, problems: problems)
    }

    /// A set of files given by their text (for tests, or files read elsewhere).
    public init(sources: [(path: String, text: String)]) {
        self.init(root: nil, sources: sources.map { ($0.path, Array($0.text.utf8)) }, problems: [])
    }

    init(root: String?, sources: [(String, [UInt8])], problems: [SourceSetProblem]) {
        var problems = problems
        var files: [SourceFile] = []
        for (path, bytes) in sources {
            let lexed = CLexer.lex(bytes)
            if !lexed.complete {
                problems.append(SourceSetProblem(path: path, message: lexed.notes.first?.message ?? "not read"))
            }
            files.append(SourceFile(path: path, lexed: lexed, functions: FunctionIndex.find(in: lexed, file: path)))
        }
        self.root = root
        self.files = files
        self.problems = problems
        let index = FunctionIndex(files.flatMap(\.functions))
        self.index = index
        bodies = index.definitions.map(BodyReader.read)
        var bodyIndex: [String: [Int]] = [:]
        for (k, d) in index.definitions.enumerated() { bodyIndex[d.name, default: []].append(k) }
        self.bodyIndex = bodyIndex
        var macroBodies: [String: [FunctionBody]] = [:]
        for file in files {
            for alias in file.lexed.macroAliases {
                let none: ArraySlice<CToken> = []
                let definition = FunctionDefinition(
                    name: alias.name, file: file.path, firstLine: alias.line, lastLine: alias.line, nameLine: alias.line,
                    isStatic: false, isInline: true, parameters: alias.parameters, headerTokens: none, bodyTokens: none,
                    bodyComplete: true, isMacro: true)
                let call = CallSite(
                    callee: alias.target, isIndirect: false, receiver: nil, arguments: alias.arguments, line: alias.line,
                    loops: [], conditions: [], inControllingExpression: false)
                macroBodies[alias.name, default: []].append(
                    FunctionBody(function: definition, calls: [call], labels: [], truncatedNesting: false))
            }
        }
        self.macroBodies = macroBodies
    }

    /// The file at `path`, if it was read.
    public func file(_ path: String) -> SourceFile? { files.first { $0.path == path } }

    /// Every read body of a function named `name`.
    public func bodies(named name: String) -> [FunctionBody] {
        (bodyIndex[name] ?? []).map { bodies[$0] }
    }

    /// The bodies a direct call to `name` from a function in `callerFile` may run.
    ///
    /// From a `.c` file, its own definitions if it has any. Otherwise, and always from a
    /// header, every visible one: the caller file's own, the non-static ones, and those of
    /// headers (a static function of another `.c` file is not reachable). A header's own
    /// definition is often the stub of a configuration (`#else static inline … { return 0; }`)
    /// while the real function lives in a `.c` file: both are followed.
    ///
    /// When no function of that name is visible, a function-like macro of that name that
    /// starts with a call is (`macroBodies`).
    public func callTargets(of name: String, from callerFile: String) -> [FunctionBody] {
        let all = bodies(named: name)
        if !callerFile.hasSuffix(".h") {
            let local = all.filter { $0.function.file == callerFile }
            if !local.isEmpty { return local }
        }
        let visible = all.filter { $0.function.file == callerFile || !$0.function.isStatic || $0.function.file.hasSuffix(".h") }
        return visible.isEmpty ? macroBodies[name] ?? [] : visible
    }
}
