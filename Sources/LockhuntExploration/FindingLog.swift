import LockhuntBasics
import LockhuntProgram

/// The findings a search keeps: one per signature (the set of deadlocked threads, or the kind
/// and instruction of a fault), as reports will show them.
///
/// A folded search without symmetry finds folded runs of real states, and keeps the first
/// finding of each signature. Otherwise each finding is first mapped to one (`map`: real
/// states for a symmetry-reduced path, then folded steps for an unfolded one), and
/// deduplicated on what it became. That matters without folding: a deadlock reached while some
/// thread is still in local code that must fault becomes that fault once folded
/// (FoldProjection.swift), and the same deadlock reached elsewhere, the thread having taken
/// another branch, must not then be dropped as already seen. A raw signature is examined again
/// until one of its findings maps without meeting such an earlier fault; the findings kept are
/// then exactly those of the folded search.
struct FindingLog {
    /// A finding as reports will show it, whether it is the raw one's counterpart (it met no
    /// earlier fault on the way), and its signature.
    typealias Map = (RawFinding) -> (finding: RawFinding, exact: Bool, signature: [Int])

    private(set) var findings: [RawFinding] = []
    private var kept = Set<[Int]>()
    /// Raw signatures one of whose findings mapped exactly: the rest add nothing.
    private var settled = Set<[Int]>()
    private let map: Map?

    package init(map: Map?) { self.map = map }

    /// The log for a search with these options on `program`.
    package init(program: Program, options: SearchOptions) {
        let realize = options.reductions.contains(.symmetry) && !program.symmetry.isEmpty
        guard !options.reductions.contains(.folding) else { self.init(map: nil); return }
        let explorer = Explorer(program: program, options: options)
        let projection = FoldProjection(program: program)
        self.init(map: { raw in projection.project(realize ? explorer.realize(raw) : raw) })
    }

    /// A deadlock: its threads and where each waits.
    static func deadlockSignature(_ threads: [Int], pc: (Int) -> Int) -> [Int] {
        [0] + threads.flatMap { [$0, pc($0)] }
    }

    /// A fault: its kind and instruction.
    static func faultSignature(_ fault: Fault) -> [Int] { [1, Int(fault.kind.rawValue), Int(fault.pc)] }

    /// Whether a finding with this raw signature may still add one (asked before its path is
    /// built, which costs a walk to the initial state).
    func wants(_ rawSignature: [Int]) -> Bool {
        map == nil ? !kept.contains(rawSignature) : !settled.contains(rawSignature)
    }

    /// Adds a finding with its raw signature; true when it was kept.
    @discardableResult
    mutating func add(_ raw: RawFinding, signature rawSignature: [Int]) -> Bool {
        guard let map else {
            guard kept.insert(rawSignature).inserted else { return false }
            findings.append(raw)
            return true
        }
        let (mapped, exact, signature) = map(raw)
        if exact { settled.insert(rawSignature) }
        guard kept.insert(signature).inserted else { return false }
        findings.append(mapped)
        return true
    }
}
