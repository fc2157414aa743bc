import Foundation

/// Number and text formatting shared by the reports.
public enum Format {
    /// 1234567 -> "1,234,567"
    public static func count(_ n: Int) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    public static func seconds(_ s: Double) -> String {
        if s < 10 { return String(format: "%.3f s", s) }
        return String(format: "%.1f s", s)
    }

    public static func rate(_ r: Double) -> String { count(Int(r.rounded())) }

    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    /// "a, b and c"
    public static func list(_ items: [String]) -> String {
        if items.count <= 1 { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    public static func bytes(_ b: Int) -> String {
        if b < 1 << 20 { return String(format: "%.1f KiB", Double(b) / 1024) }
        if b < 1 << 30 { return String(format: "%.1f MiB", Double(b) / 1048576) }
        return String(format: "%.2f GiB", Double(b) / 1073741824)
    }
}
