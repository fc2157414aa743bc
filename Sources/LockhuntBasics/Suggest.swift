/// "did you mean ..." by edit distance, as swift-argument-parser and compilers do.
public enum Suggest {
    /// Names longer than this get no suggestion: a typo is a few edits in a name of reasonable
    /// length, and the distance costs the product of the two lengths (an unknown name of 20,000
    /// characters once took 3 GB and 17 s).
    public static let maxLength = 64

    public static func closest(to name: String, among candidates: some Sequence<String>) -> String? {
        let x = Array(name.unicodeScalars)
        guard x.count <= maxLength else { return nil }
        let limit = max(1, (x.count + 2) / 3)
        var best: (String, Int)? = nil
        for candidate in candidates where candidate != name {
            let y = Array(candidate.unicodeScalars)
            // The distance is at least the difference in length: skip what cannot be close.
            guard y.count <= maxLength, abs(y.count - x.count) <= limit else { continue }
            let d = distance(x, y)
            if d <= limit, best == nil || d < best!.1 || (d == best!.1 && candidate < best!.0) {
                best = (candidate, d)
            }
        }
        return best?.0
    }

    /// Edit distance over unicode scalars where swapping two neighbours counts as one edit
    /// (optimal string alignment), since `modle` for `model` is the most common typo.
    public static func distance(_ a: String, _ b: String) -> Int {
        distance(Array(a.unicodeScalars), Array(b.unicodeScalars))
    }

    /// Three rows of the table at a time: memory in the shorter length, not the product.
    static func distance(_ x: [Unicode.Scalar], _ y: [Unicode.Scalar]) -> Int {
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var older = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var row = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            row[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    row[j] = min(row[j], older[j - 2] + 1)
                }
            }
            (older, previous, row) = (previous, row, older)
        }
        return previous[y.count]
    }
}
