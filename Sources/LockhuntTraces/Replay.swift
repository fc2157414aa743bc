import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

/// `lockhunt replay`: re-executes a trace on the current model, step by step, with the same
/// machine the explorer uses. A step is matched by thread, operation and outcome, not by
/// program counter, so a trace survives edits that leave its path alone.
public struct Replayer {
    public struct Options {
        public var tracePath: String
        /// Replay on this model instead of the one named in the trace.
        public var model: String? = nil
        /// Use this policy (name or file) instead of the trace's.
        public var policy: String? = nil
        public var policyDir: String? = nil
        public init(tracePath: String) { self.tracePath = tracePath }
    }

    public enum Outcome: Equatable {
        case reached
        /// 1-based step number and the reason.
        case diverged(step: Int, reason: String)
        /// The trace (or the model it names) could not be read.
        case unreadable(String)
    }

    public struct Result {
        public var outcome: Outcome
        /// The step-by-step account.
        public var output: String
        /// The model the trace ran on, when it compiled.
        public var program: Program? = nil
        /// The steps that matched, with holders and waiters after each.
        public var timeline: Timeline? = nil
        /// The recorded finding as reached (nil when the run diverged).
        public var finding: Finding? = nil
        public var exitCode: ExitCode {
            switch outcome {
            case .reached: return .ok
            case .diverged: return .finding
            case .unreadable: return .error
            }
        }
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Reads the trace and compiles the model it was made on.
    public func load() -> (Trace?, Program?, String) {
        let sources = SourceManager()
        let diags = DiagnosticEngine()
        guard let trace = TraceReader.read(path: options.tracePath, sources: sources, diagnostics: diags) else {
            return (nil, nil, DiagnosticPrinter(sources: sources).format(diags.diagnostics))
        }
        let modelPath = options.model.map { ModelLoader.normalize($0) }
            ?? TraceBuilder.resolve(trace.model, trace: options.tracePath, root: trace.root)
        var policy: PolicyRef? = nil
        if let p = options.policy {
            switch ModelLoader.resolvePolicy(p, for: modelPath, explicit: options.policyDir) {
            case .success(let ref): policy = ref
            case .failure(let e): return (trace, nil, "lockhunt: error: \(e.message)\n")
            }
        } else if let name = trace.policy {
            if let file = trace.policyFile {
                policy = PolicyRef(name: name, path: TraceBuilder.resolve(file, trace: options.tracePath, root: trace.root))
            } else {
                switch ModelLoader.resolvePolicy(name, for: modelPath, explicit: options.policyDir) {
                case .success(let ref): policy = ref
                case .failure(let e):
                    diags.error(TraceReader.valueLocation("policy", in: sources.files.last), e.message)
                    return (trace, nil, DiagnosticPrinter(sources: sources).format(diags.diagnostics))
                }
            }
        }
        // A model or policy path of the trace that cannot be read is reported at its line.
        let traceFile = sources.files.last
        let (program, errors) = Program.load(model: modelPath, policy: policy,
                                                    params: trace.params.map { ($0.name, $0.value) }, sources: sources,
                                                    modelSite: options.model == nil ? TraceReader.valueLocation("model", in: traceFile) : .none,
                                                    policySite: options.policy == nil ? TraceReader.valueLocation("policy", in: traceFile) : .none)
        return (trace, program, errors)
    }

    public func run() -> Result {
        let (traceOpt, programOpt, errors) = load()
        guard let trace = traceOpt else { return Result(outcome: .unreadable(errors), output: errors) }
        guard let program = programOpt else {
            return Result(outcome: .unreadable("the model of this trace does not compile"), output: errors)
        }
        return replay(trace, on: program)
    }

    public func replay(_ trace: Trace, on program: Program) -> Result {
        var out = "replaying \(options.tracePath): \(trace.steps.count) steps of \(program.scenario)"
        if let p = program.policy { out += " under policy \(p.name)" }
        out += "\n"
        if trace.digest != program.digest {
            out += "note: the model changed since this trace was written; steps are matched by thread, operation and outcome\n"
        }
        var machine = Machine(program)
        defer { machine.release() }
        let words = program.wordsPerState
        var state = [UInt64](repeating: 0, count: words)
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        defer { succ.deallocate() }
        let builder = FindingBuilder(program: program)
        var ledger = LockLedger()
        let ok = state.withUnsafeMutableBufferPointer { machine.initialState(program.rawInitialState, into: $0.baseAddress!) }
        let threadIndex = Dictionary(program.threads.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })

        var states: [[UInt64]] = [state]
        var transitions: [Transition] = []
        func timeline() -> Timeline? { ok ? Timeline(program: program, transitions: transitions, states: states) : nil }
        func diverge(_ step: Int, _ reason: String) -> Result {
            out += "diverged at step \(step): \(reason)\n"
            if step > 1, transitions.count == step - 1 {
                let last = builder.step(transitions[step - 2])
                out += "  the last step that matched: \(step - 1)  \(last.thread): \(last.operation) -> \(last.outcome)   \(last.location)\n"
            }
            return Result(outcome: .diverged(step: step, reason: reason), output: out, program: program, timeline: timeline())
        }
        func reached(_ raw: RawFinding) -> Result {
            var r = Result(outcome: .reached, output: out, program: program, timeline: timeline())
            r.finding = builder.build(raw)
            return r
        }
        if !ok {
            if case .violation(_, let m, _) = trace.finding, trace.steps.isEmpty,
               builder.faultMessage(machine.fault) + " (while starting)" == m {
                out += "reached the recorded violation: \(m)\n"
                return Result(outcome: .reached, output: out, program: program)
            }
            return diverge(0, "the model faults while starting: \(builder.faultMessage(machine.fault))")
        }

        let numWidth = String(trace.steps.count).count
        for (i, expected) in trace.steps.enumerated() {
            let n = i + 1
            guard let t = threadIndex[expected.thread] else {
                var reason = "the model has no thread '\(expected.thread)'"
                if let s = Suggest.closest(to: expected.thread, among: program.threads.map(\.name)) { reason += "; did you mean '\(s)'?" }
                return diverge(n, reason)
            }
            let isLast = i == trace.steps.count - 1
            let count = state.withUnsafeBufferPointer { machine.step($0.baseAddress!, t, succ) }
            if count > 0, machine.faultedBranches > 0, isLast, case .violation(let vt, let vm, _) = trace.finding,
               vt == expected.thread, vm == builder.faultMessage(machine.fault) {
                // A branch of this choice faults (the others go on): the recorded violation.
                var ev = machine.event
                ev.outcome = Int64(machine.faultedChoice)
                let actual = builder.step(Transition(thread: t, choice: machine.faultedChoice, event: ev))
                out += line(n, numWidth, actual.thread, "\(actual.operation) -> \(actual.outcome), then fails", actual.location)
                out += "reached the recorded violation: \(expected.thread): \(vm)\n"
                return Result(outcome: .reached, output: out)
            }
            if count < 0 {
                // A fault: right only if this is the recorded violation's last step.
                let message = builder.faultMessage(machine.fault)
                if isLast, case .violation(let vt, let vm, _) = trace.finding, vt == expected.thread, vm == message {
                    let actual = builder.step(Transition(thread: t, choice: 0, event: machine.event))
                    out += line(n, numWidth, actual.thread, "\(actual.operation) -> fails", actual.location)
                    out += "reached the recorded violation: \(expected.thread): \(message)\n"
                    var raw = RawFinding(kind: .violation(machine.fault), path: states)
                    raw.faultingThread = t
                    return reached(raw)
                }
                return diverge(n, "\(expected.thread) faults here: \(message) at \(program.location(ofPC: Int(machine.fault.pc)))")
            }
            if count == 0 {
                let pc = state.withUnsafeBufferPointer { machine.globalPC($0.baseAddress!, t) }
                if case .finish = program.ir[pc].op {
                    return diverge(n, "the trace expects \(expected.thread): \(expected.operation) -> \(expected.outcome), but \(expected.thread) has finished")
                }
                let wait = state.withUnsafeBufferPointer { Timeline.wait(&machine, program, $0.baseAddress!, t) }
                var reason = "the trace expects \(expected.thread): \(expected.operation) -> \(expected.outcome), but \(expected.thread) is blocked in \(wait.what) at \(wait.location)"
                if let lock = wait.lock, let h = ledger.held[lock] { reason += " (\(lock) is held by \(program.threads[h.thread].name) since step \(h.step + 1))" }
                return diverge(n, reason)
            }
            var matched: (Int, Transition)? = nil
            var offered: [TraceStep] = []
            for k in 0..<count where machine.isSuccessor(k) {
                var ev = machine.event
                if case .choose = program.ir[Int(ev.pc)].op { ev.outcome = Int64(k) }
                let tr = Transition(thread: t, choice: k, event: ev)
                let actual = builder.step(tr)
                offered.append(actual)
                if actual.matches(expected) { matched = (k, tr); break }
            }
            guard let (k, tr) = matched else {
                let a = offered[0]
                let alternatives = offered.count > 1 ? " (or \(offered.dropFirst().map(\.outcome).joined(separator: ", ")))" : ""
                var reason = "the trace expects \(expected.thread): \(expected.operation) -> \(expected.outcome), but the model does \(a.operation) -> \(a.outcome)\(alternatives) at \(a.location)"
                reason += "; " + whyDiverged(expected, offered)
                return diverge(n, reason)
            }
            state = Array(UnsafeBufferPointer(start: succ + k * words, count: words))
            states.append(state)
            transitions.append(tr)
            ledger.apply(tr, step: i, program: program)
            let actual = builder.step(tr)
            out += line(n, numWidth, actual.thread, "\(actual.operation) -> \(actual.outcome)", actual.location)
            out += String(repeating: " ", count: numWidth + 4) + "holds: \(ledger.summary(program))"
            let waits = Timeline.waits(&machine, program, state).map { "\(program.threads[$0.thread].name) in \($0.what)" }.joined(separator: "; ")
            out += waits.isEmpty ? "\n" : "   waits: \(waits)\n"
        }

        // The end: the recorded finding must hold in the state reached.
        switch trace.finding {
        case .violation(let t, let m, _):
            return diverge(trace.steps.count, "the trace ends in a violation (\(t): \(m)) but the last step did not fault")
        case .deadlock(let blocked):
            let dead = state.withUnsafeBufferPointer { machine.deadlockedThreads($0.baseAddress!, program.analysis.resources) }
            var names: [String] = []
            var rest = dead
            while rest != 0 {
                let t = rest.trailingZeroBitCount
                rest &= rest - 1
                names.append(program.threads[t].name)
            }
            let expected = blocked.map(\.thread)
            if Set(names) == Set(expected) && !names.isEmpty {
                out += "reached the recorded deadlock: \(Format.list(names)) can never wake up\n"
                var threads: [Int] = []
                var rest = dead
                while rest != 0 { threads.append(rest.trailingZeroBitCount); rest &= rest - 1 }
                return reached(RawFinding(kind: .deadlock(threads), path: states))
            }
            if names.isEmpty {
                return diverge(trace.steps.count, "after the last step no task is deadlocked (the trace expects \(Format.list(expected)))")
            }
            return diverge(trace.steps.count, "after the last step \(Format.list(names)) are deadlocked, but the trace expects \(Format.list(expected))")
        }
    }

    func line(_ n: Int, _ width: Int, _ thread: String, _ what: String, _ location: String) -> String {
        let num = String(repeating: " ", count: width - String(n).count) + String(n)
        return "  \(num)  \(thread): \(what)   \(location)\n"
    }

    /// Why the model no longer takes the recorded step: the same call with another outcome
    /// means the state differs (an earlier edit changed what the run sees); another call means
    /// the thread's code path changed.
    func whyDiverged(_ expected: TraceStep, _ offered: [TraceStep]) -> String {
        if offered.contains(where: { $0.operation == expected.operation }) {
            return "same call, different outcome: the state the run reaches here differs from when the trace was made"
        }
        if offered.contains(where: { $0.function == expected.function }) {
            return "\(expected.thread)'s path through \(expected.function) changed"
        }
        return "\(expected.thread) now runs \(offered[0].function) where the trace had \(expected.function): its code path changed"
    }
}
