import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntDriver
import LockhuntBench

/// `lockhunt replay TRACE --format svg`: a sequence chart of a run. One lane per thread, time
/// downwards, one row per step. Locks held are bars beside the lane (one colour per lock);
/// acquisitions are filled dots, releases open dots, failed trylocks crosses, blocked waits
/// dashed lane segments. At the end each stuck task gets a row with its wait, and arrows show
/// the cycle: who holds what it waits for, and who alone could release it.
///
/// Plain SVG 1.1: no script, no external style sheet or font, integer coordinates, and the
/// same text for the same run, so that golden tests can pin it.
public struct SequenceChart {
    public init() {}

    // Geometry, in pixels.
    let top = 76
    let row = 26
    let left = 44
    let charWidth = 7

    /// Lock colours, in order of first acquisition; a colour-blind-safe palette.
    let palette = ["#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c6d31", "#7f7f7f", "#332288"]
    let cycleColour = "#d62728"

    public func render(title: String, timeline: Timeline, finding: Finding?) -> String {
        let entries = timeline.entries
        let threadCount = timeline.threads.count
        let tasks: [BlockedTask] = {
            if case .deadlock(let t)? = finding?.kind { return t }
            return []
        }()
        let cycleOrder = finding.map { f in f.cycle.isEmpty ? tasks.map(\.thread) : f.cycle } ?? []
        let stuck = cycleOrder.compactMap { n in tasks.first { $0.thread == n } }
        let cycleLocks = Set(tasks.compactMap(\.lock))

        // Lanes are as wide as their longest label.
        func label(_ e: Timeline.Entry) -> String {
            switch e.effect {
            case .acquired(_, true), .released: return e.step.operation
            default: return "\(e.step.operation) \u{2192} \(e.step.outcome)"
            }
        }
        var laneWidth = [Int](repeating: 0, count: threadCount)
        for t in 0..<threadCount { laneWidth[t] = max(150, timeline.threads[t].count * 8 + 24) }
        for e in entries { laneWidth[e.thread] = max(laneWidth[e.thread], 52 + label(e).count * charWidth) }
        for t in stuck {
            if let i = timeline.threads.firstIndex(of: t.thread) { laneWidth[i] = max(laneWidth[i], 56 + ("waits forever: " + t.waitsFor).count * charWidth) }
        }
        var laneX = [Int](repeating: 0, count: threadCount)
        var x = left
        for t in 0..<threadCount { laneX[t] = x; x += laneWidth[t] + 16 }
        let width = max(x + 64, 560)
        func lineX(_ t: Int) -> Int { laneX[t] + 26 }
        func rowY(_ i: Int) -> Int { top + i * row + row / 2 }
        let endRow = entries.count
        let height = top + (entries.count + stuck.count + 1) * row + 96

        // Hold intervals: (thread, lock, from row, to row or nil, slot beside the lane).
        struct Hold { var thread: Int; var lock: String; var from: Int; var to: Int?; var slot: Int }
        var holds: [Hold] = []
        var open: [String: Int] = [:]
        var colour: [String: String] = [:]
        for (i, e) in entries.enumerated() {
            switch e.effect {
            case .acquired(let lock, _):
                if colour[lock] == nil { colour[lock] = palette[colour.count % palette.count] }
                let used = Set(holds.filter { $0.thread == e.thread && $0.to == nil }.map(\.slot))
                let slot = (0..<8).first { !used.contains($0) } ?? 0
                open[lock] = holds.count
                holds.append(Hold(thread: e.thread, lock: lock, from: i, to: nil, slot: slot))
            case .released(let lock):
                if let h = open[lock] { holds[h].to = i; open[lock] = nil }
            default: break
            }
        }
        func barX(_ h: Hold) -> Int { laneX[h.thread] + 4 + h.slot * 6 }

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">
        <title>\(esc(title))</title>
        <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="\(cycleColour)"/></marker>
        </defs>
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="#ffffff"/>
        <text x="\(left)" y="24" font-size="15" font-weight="bold">\(esc(title))</text>

        """
        // Lanes: header, then the lane line, dashed where the thread is blocked.
        for t in 0..<threadCount {
            let name = timeline.threads[t]
            let inCycle = cycleOrder.contains(name)
            svg += "<g id=\"lane-\(id(name))\">\n"
            svg += "<rect x=\"\(laneX[t])\" y=\"38\" width=\"\(laneWidth[t])\" height=\"24\" rx=\"4\" fill=\"\(inCycle ? "#fde0dc" : "#eeeeee")\" stroke=\"\(inCycle ? cycleColour : "#999999")\"/>\n"
            svg += "<text x=\"\(laneX[t] + 8)\" y=\"55\" font-weight=\"bold\">\(esc(name))</text>\n"
            // Blocked stretches: rows after which the thread is among the waiters.
            var blockedAfter = entries.map { e in e.waits.contains { $0.thread == t } }
            let initiallyBlocked = timeline.initialWaits.contains { $0.thread == t }
            var segments: [(Int, Int, Bool)] = []  // from y, to y, blocked
            var y0 = top
            var state = initiallyBlocked
            for (i, b) in blockedAfter.enumerated() where b != state {
                let y = rowY(i)
                segments.append((y0, y, state))
                y0 = y
                state = b
            }
            let bottom = rowY(endRow + stuck.count)
            segments.append((y0, bottom, state))
            for (a, b, blocked) in segments where b > a {
                if blocked {
                    svg += "<line x1=\"\(lineX(t))\" y1=\"\(a)\" x2=\"\(lineX(t))\" y2=\"\(b)\" stroke=\"#e66100\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n"
                } else {
                    svg += "<line x1=\"\(lineX(t))\" y1=\"\(a)\" x2=\"\(lineX(t))\" y2=\"\(b)\" stroke=\"#bbbbbb\" stroke-width=\"1\"/>\n"
                }
            }
            blockedAfter.removeAll()
            svg += "</g>\n"
        }

        // Hold bars, with the lock's name where it was taken.
        for h in holds {
            let y1 = rowY(h.from)
            let y2 = h.to.map(rowY) ?? rowY(endRow + stuck.count)
            let c = colour[h.lock]!
            let hot = h.to == nil && cycleLocks.contains(h.lock)
            svg += "<rect x=\"\(barX(h))\" y=\"\(y1)\" width=\"5\" height=\"\(max(2, y2 - y1))\" fill=\"\(c)\" fill-opacity=\"0.75\"\(hot ? " stroke=\"\(cycleColour)\" stroke-width=\"1.5\"" : "")><title>\(esc(h.lock)) held by \(esc(timeline.threads[h.thread]))</title></rect>\n"
        }

        // Steps.
        for (i, e) in entries.enumerated() {
            let y = rowY(i)
            let cx = lineX(e.thread)
            if i % 2 == 1 {
                svg += "<rect x=\"0\" y=\"\(y - row / 2)\" width=\"\(width)\" height=\"\(row)\" fill=\"#000000\" fill-opacity=\"0.03\"/>\n"
            }
            svg += "<text x=\"\(left - 10)\" y=\"\(y + 4)\" text-anchor=\"end\" fill=\"#666666\">\(i + 1)</text>\n"
            svg += "<g>\n<title>step \(i + 1): \(esc(e.step.thread)): \(esc(e.step.operation)) -> \(esc(e.step.outcome)) at \(esc(e.step.location)) in \(esc(e.step.function))</title>\n"
            switch e.effect {
            case .acquired(let lock, _):
                svg += "<circle cx=\"\(cx)\" cy=\"\(y)\" r=\"5\" fill=\"\(colour[lock]!)\"/>\n"
            case .released(let lock):
                svg += "<circle cx=\"\(cx)\" cy=\"\(y)\" r=\"5\" fill=\"#ffffff\" stroke=\"\(colour[lock] ?? "#444444")\" stroke-width=\"2\"/>\n"
            case .trylockFailed:
                svg += "<path d=\"M\(cx - 5),\(y - 5) L\(cx + 5),\(y + 5) M\(cx - 5),\(y + 5) L\(cx + 5),\(y - 5)\" stroke=\"#e66100\" stroke-width=\"2.5\"/>\n"
            case .none:
                svg += "<circle cx=\"\(cx)\" cy=\"\(y)\" r=\"3\" fill=\"#555555\"/>\n"
            }
            svg += "<text x=\"\(cx + 12)\" y=\"\(y + 4)\">\(esc(label(e)))</text>\n</g>\n"
        }

        // The end: each stuck task's wait, and the arrows of the cycle.
        if !stuck.isEmpty {
            let y0 = rowY(endRow) - row / 2
            svg += "<line x1=\"\(left - 30)\" y1=\"\(y0)\" x2=\"\(width - 8)\" y2=\"\(y0)\" stroke=\"\(cycleColour)\" stroke-dasharray=\"6 4\"/>\n"
            svg += "<text x=\"\(width - 10)\" y=\"\(y0 - 4)\" text-anchor=\"end\" fill=\"\(cycleColour)\" font-size=\"11\">deadlock</text>\n"
        }
        for (k, t) in stuck.enumerated() {
            guard let ti = timeline.threads.firstIndex(of: t.thread) else { continue }
            let y = rowY(endRow + k)
            let cx = lineX(ti)
            svg += "<g>\n<title>\(esc(t.thread)) waits forever in \(esc(t.waitsFor)) at \(esc(t.location)) in \(esc(t.function))</title>\n"
            svg += "<rect x=\"\(cx - 6)\" y=\"\(y - 6)\" width=\"12\" height=\"12\" fill=\"\(cycleColour)\"/>\n"
            svg += "<text x=\"\(cx + 12)\" y=\"\(y + 4)\" fill=\"\(cycleColour)\" font-weight=\"bold\">waits forever: \(esc(t.waitsFor))</text>\n</g>\n"
            // Arrow to the bar of the awaited lock (its holder), then, when the holder hands
            // it off, a dashed arrow from there to the task that alone could release it.
            if let lock = t.lock, let h = holds.last(where: { $0.lock == lock && $0.to == nil }) {
                let bx = barX(h) + 2
                let from = bx < cx ? cx - 8 : cx + 8
                let to = bx < cx ? bx + 5 : bx - 3
                svg += "<path d=\"M\(from),\(y) C\(from + (to - from) / 3),\(y - 14) \(to - (to - from) / 3),\(y - 14) \(to),\(y)\" fill=\"none\" stroke=\"\(cycleColour)\" stroke-width=\"2\" marker-end=\"url(#arrow)\"><title>\(esc(t.thread)) waits for \(esc(lock)), held by \(esc(timeline.threads[h.thread]))</title></path>\n"
                if let holder = t.heldBy, !t.releasers.contains(holder), let r = t.releasers.first,
                   let ri = timeline.threads.firstIndex(of: r) {
                    let rx = lineX(ri)
                    let ry = y + row / 2 - 2
                    let x1 = rx < bx ? bx - 3 : bx + 5
                    let x2 = rx < bx ? rx + 4 : rx - 4
                    let site = t.releaseSites.first.map { " (\($0.operation) at \($0.location))" } ?? ""
                    svg += "<path d=\"M\(x1),\(ry) L\(x2),\(ry)\" fill=\"none\" stroke=\"\(cycleColour)\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\" marker-end=\"url(#arrow)\"><title>\(esc(lock)) is released only by \(esc(r))\(esc(site))</title></path>\n"
                    svg += "<text x=\"\(min(x1, x2) + 6)\" y=\"\(ry + 12)\" fill=\"\(cycleColour)\" font-size=\"10\">released only by \(esc(r))</text>\n"
                }
            }
        }
        if case .violation(let t, let m, let l, _)? = finding?.kind {
            let y = rowY(endRow)
            svg += "<text x=\"\(left)\" y=\"\(y + 4)\" fill=\"\(cycleColour)\" font-weight=\"bold\">violation in \(esc(t)): \(esc(m)) at \(esc(l))</text>\n"
        }

        // Legend.
        let ly = height - 62
        svg += "<g font-size=\"11\" fill=\"#333333\">\n"
        svg += "<circle cx=\"\(left)\" cy=\"\(ly)\" r=\"5\" fill=\"#0072b2\"/><text x=\"\(left + 10)\" y=\"\(ly + 4)\">lock taken</text>\n"
        svg += "<circle cx=\"\(left + 110)\" cy=\"\(ly)\" r=\"5\" fill=\"#ffffff\" stroke=\"#0072b2\" stroke-width=\"2\"/><text x=\"\(left + 120)\" y=\"\(ly + 4)\">released</text>\n"
        svg += "<path d=\"M\(left + 205),\(ly - 5) L\(left + 215),\(ly + 5) M\(left + 205),\(ly + 5) L\(left + 215),\(ly - 5)\" stroke=\"#e66100\" stroke-width=\"2.5\"/><text x=\"\(left + 222)\" y=\"\(ly + 4)\">trylock failed</text>\n"
        svg += "<line x1=\"\(left + 335)\" y1=\"\(ly - 7)\" x2=\"\(left + 335)\" y2=\"\(ly + 7)\" stroke=\"#e66100\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/><text x=\"\(left + 344)\" y=\"\(ly + 4)\">blocked</text>\n"
        svg += "<rect x=\"\(left)\" y=\"\(ly + 13)\" width=\"5\" height=\"12\" fill=\"#0072b2\" fill-opacity=\"0.75\"/><text x=\"\(left + 10)\" y=\"\(ly + 23)\">lock held</text>\n"
        svg += "<rect x=\"\(left + 105)\" y=\"\(ly + 13)\" width=\"12\" height=\"12\" fill=\"\(cycleColour)\"/><text x=\"\(left + 122)\" y=\"\(ly + 23)\">waits forever (the cycle is red)</text>\n"
        // Which colour is which lock.
        var lx = left
        for (lock, c) in colour.sorted(by: { $0.value == $1.value ? $0.key < $1.key : palette.firstIndex(of: $0.value)! < palette.firstIndex(of: $1.value)! }) {
            svg += "<rect x=\"\(lx)\" y=\"\(ly + 35)\" width=\"12\" height=\"12\" fill=\"\(c)\" fill-opacity=\"0.75\"/><text x=\"\(lx + 17)\" y=\"\(ly + 45)\">\(esc(lock))</text>\n"
            lx += 30 + lock.count * charWidth
        }
        svg += "</g>\n</svg>\n"
        return svg
    }

    /// XML text and attribute escaping.
    func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A thread name as an XML id: `writer[2]` -> `writer_2_`.
    func id(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    }
}
