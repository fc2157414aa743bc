import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntDriver
import LockhuntBench

/// `lockhunt replay TRACE --format dot`: two graphs for graphviz, in one file.
///
/// - The wait-for graph at the finding: tasks (boxes) and locks (ellipses); a task points to
///   the lock it waits for, a lock to the task holding it, and a lock handed off by a finished
///   holder to the task that alone could release it. The cycle is red.
/// - The lock-order graph of the run: "B taken while holding A" for every acquisition along
///   the run (trylocks dashed), plus the acquisitions the stuck tasks are waiting to make.
public struct LockGraphs {
    public init() {}

    public struct OrderEdge: Equatable {
        public var from: String
        public var to: String
        /// `kcompactd, step 7: folio_trylock(A)`.
        public var labels: [String]
        /// Every acquisition behind it was a trylock (which cannot block).
        public var trylockOnly: Bool
        /// A stuck task waits to make this acquisition.
        public var waiting: Bool
    }

    /// "B taken while holding A", in order of first occurrence.
    public func lockOrder(_ timeline: Timeline, finding: Finding?) -> [OrderEdge] {
        var edges: [OrderEdge] = []
        func add(_ a: String, _ b: String, _ label: String, trylock: Bool, waiting: Bool) {
            if let i = edges.firstIndex(where: { $0.from == a && $0.to == b }) {
                edges[i].labels.append(label)
                edges[i].trylockOnly = edges[i].trylockOnly && trylock
                edges[i].waiting = edges[i].waiting || waiting
            } else {
                edges.append(OrderEdge(from: a, to: b, labels: [label], trylockOnly: trylock, waiting: waiting))
            }
        }
        var held: [String: LockLedger.Entry] = [:]
        for (i, e) in timeline.entries.enumerated() {
            if case .acquired(let b, let blocking) = e.effect {
                let mine = held.filter { $0.value.thread == e.thread && $0.key != b }.sorted { $0.value.step < $1.value.step }
                for (a, _) in mine {
                    add(a, b, "\(e.step.thread), step \(i + 1): \(e.step.operation)", trylock: !blocking, waiting: false)
                }
            }
            held = e.held
        }
        if case .deadlock(let tasks)? = finding?.kind {
            for t in tasks {
                guard let b = t.lock else { continue }
                for h in t.holds where h.lock != b {
                    add(h.lock, b, "\(t.thread) waits: \(t.waitsFor)", trylock: false, waiting: true)
                }
            }
        }
        return edges
    }

    public func render(title: String, timeline: Timeline, finding: Finding?) -> String {
        var out = "// \(title)\n// Render with: dot -Tsvg THIS_FILE -o graph.svg\n"
        out += "digraph lockhunt {\n"
        out += "  graph [fontname=\"Helvetica\", fontsize=12, label=\(q(title)), labelloc=t, rankdir=LR, compound=true];\n"
        out += "  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n\n"
        out += waitFor(timeline, finding)
        out += "\n" + order(timeline, finding)
        out += "}\n"
        return out
    }

    func waitFor(_ timeline: Timeline, _ finding: Finding?) -> String {
        var out = "  subgraph cluster_waitfor {\n    label=\"wait-for graph at the finding\";\n    labelloc=b;\n    color=\"#999999\";\n"
        guard case .deadlock(let tasks)? = finding?.kind else {
            if case .violation(let t, let m, let l, _)? = finding?.kind {
                out += "    w_violation [shape=note, color=\"#d62728\", label=\(q("violation in \(t):\n\(m)\nat \(l)"))];\n"
            } else {
                out += "    w_none [shape=plaintext, label=\"no finding\"];\n"
            }
            return out + "  }\n"
        }
        let cycle = Set(finding?.cycle ?? [])
        var taskNodes: [String] = []
        var lockNodes: [String] = []
        var lines: [String] = []
        func task(_ name: String, finished: Bool = false) {
            guard !taskNodes.contains(name) else { return }
            taskNodes.append(name)
            let red = cycle.contains(name) || tasks.contains { $0.thread == name }
            let label = finished ? "\(name)\n(finished)" : name
            lines.append("    \(nodeID("t", name)) [shape=box, style=\"rounded\(finished ? ",dashed" : ",bold")\", color=\(q(red ? "#d62728" : "#555555")), label=\(q(label))];")
        }
        func lock(_ name: String, hot: Bool) {
            guard !lockNodes.contains(name) else { return }
            lockNodes.append(name)
            lines.append("    \(nodeID("l", name)) [shape=ellipse, color=\(q(hot ? "#d62728" : "#555555")), label=\(q(name))];")
        }
        var edges: [String] = []
        for t in tasks { task(t.thread) }
        for t in tasks {
            let from = nodeID("t", t.thread)
            guard let l = t.lock else {
                let target = "wait: \(t.waitsFor)"
                lines.append("    \(nodeID("c", target)) [shape=diamond, color=\"#d62728\", label=\(q(t.waitsFor))];")
                edges.append("    \(from) -> \(nodeID("c", target)) [color=\"#d62728\", penwidth=2, label=\"waits in\"];")
                for r in t.releaseSites {
                    task(r.thread)
                    edges.append("    \(nodeID("c", target)) -> \(nodeID("t", r.thread)) [color=\"#d62728\", style=dashed, label=\(q("set only by\n\(r.operation)\nat \(r.location)"))];")
                }
                continue
            }
            lock(l, hot: true)
            edges.append("    \(from) -> \(nodeID("l", l)) [color=\"#d62728\", penwidth=2, label=\(q("waits for\n\(t.waitsFor)\nat \(t.location)"))];")
            if let h = t.heldBy {
                task(h, finished: t.holderFinished)
                let handedOff = !t.releasers.contains(h)
                let since = t.heldSince.map { "held since step \($0.step)\n\($0.operation) at \($0.location)" } ?? "held"
                edges.append("    \(nodeID("l", l)) -> \(nodeID("t", h)) [color=\(q(handedOff ? "#777777" : "#d62728")), penwidth=\(handedOff ? 1 : 2), label=\(q(since))];")
                if handedOff {
                    for r in t.releasers {
                        task(r)
                        let site = t.releaseSites.first { $0.thread == r }.map { "\n\($0.operation) at \($0.location)" } ?? ""
                        edges.append("    \(nodeID("l", l)) -> \(nodeID("t", r)) [color=\"#d62728\", penwidth=2, style=dashed, label=\(q("released only by \(r)\(site)"))];")
                    }
                }
            }
        }
        // Other locks the stuck tasks hold, for the whole picture.
        for t in tasks {
            for h in t.holds where !lockNodes.contains(h.lock) {
                lock(h.lock, hot: false)
                edges.append("    \(nodeID("l", h.lock)) -> \(nodeID("t", t.thread)) [color=\"#777777\", label=\(q("held since step \(h.step)"))];")
            }
        }
        out += lines.joined(separator: "\n") + "\n" + edges.joined(separator: "\n") + "\n  }\n"
        return out
    }

    func order(_ timeline: Timeline, _ finding: Finding?) -> String {
        var out = "  subgraph cluster_order {\n    label=\"lock order of the run: B taken while holding A\";\n    color=\"#999999\";\n"
        let edges = lockOrder(timeline, finding: finding)
        var locks: [String] = []
        for e in timeline.entries {
            if case .acquired(let l, _) = e.effect, !locks.contains(l) { locks.append(l) }
        }
        for e in edges { for l in [e.from, e.to] where !locks.contains(l) { locks.append(l) } }
        if locks.isEmpty {
            out += "    o_none [shape=plaintext, label=\"no lock taken\"];\n"
        }
        for l in locks { out += "    \(nodeID("o", l)) [shape=ellipse, label=\(q(l))];\n" }
        for e in edges {
            var attrs = ["label=\(q(e.labels.joined(separator: "\n")))"]
            if e.waiting { attrs += ["color=\"#d62728\"", "penwidth=2"] }
            if e.trylockOnly { attrs += ["style=dashed"] }
            out += "    \(nodeID("o", e.from)) -> \(nodeID("o", e.to)) [\(attrs.joined(separator: ", "))];\n"
        }
        return out + "  }\n"
    }

    /// A DOT identifier: a prefix and the name with anything but letters and digits replaced.
    func nodeID(_ prefix: String, _ name: String) -> String {
        prefix + "_" + String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    /// A DOT string literal; newlines become centred line breaks.
    func q(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}
