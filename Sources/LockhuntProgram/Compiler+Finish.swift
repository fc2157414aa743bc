import LockhuntBasics
import LockhuntLanguage

extension Compiler {
    /// Lowers every thread (and every replica of `thread w[i < N]`).
    func lowerThreads() {
        for (templateIndex, decl) in threadDecls.enumerated() {
            var count = 1
            if let r = decl.replica {
                guard let n = constantValue(r.count) else { continue }
                guard n >= 1, n <= Int64(Compiler.maxThreads) else {
                    error(r.count.location, "a thread array has between 1 and \(Compiler.maxThreads) copies, not \(n)")
                    continue
                }
                count = Int(n)
            }
            for k in 0..<count {
                if threads.count >= Compiler.maxThreads {
                    error(decl.location, "too many threads (the limit is \(Compiler.maxThreads))")
                    return
                }
                let name = decl.replica == nil ? decl.name : "\(decl.name)[\(k)]"
                let lowerer = ThreadLowerer(compiler: self, threadIndex: threads.count, name: name)
                lowerer.lowerThread(decl, replica: decl.replica == nil ? nil : k)
                threads.append(ThreadInfo(name: name, template: templateIndex, location: decl.location, pcField: -1,
                                          flagsField: lowerer.flagsField, codeStart: ir.count,
                                          codeCount: lowerer.code.count, localBits: 0..<0))
                ir.append(contentsOf: lowerer.code)
                allocationLogs.append(lowerer.log)
                if diagnostics.isFull { return }
            }
        }
    }

    /// The flag kinds some instruction can change. The others keep their initial values in
    /// every state: they are laid out last, in words the visited set does not store.
    func changedFlags() -> (folio: Set<FolioFlag>, buffer: Set<BufferFlag>) {
        var folio = Set<FolioFlag>(), buffer = Set<BufferFlag>()
        for ins in ir {
            switch ins.op {
            case .folioLock, .folioTrylock, .folioUnlock: folio.insert(.locked)
            case .lockBuffer, .trylockBuffer, .unlockBuffer: buffer.insert(.locked)
            case .setFolioFlag(let k, _, _), .testClearFolioFlag(let k, _, _): folio.insert(k)
            case .setBufferFlag(let k, _, _): buffer.insert(k)
            default: break
            }
        }
        return (folio, buffer)
    }

    /// Assigns every field its bits (see the layout comment in Layout.swift). `storedWords`:
    /// the words before the constant flags.
    func layout() -> (fields: [Field], words: Int, storedWords: Int, folioFlagBase: [Int], bufferFlagBase: [Int]) {
        var a = BitAllocator()
        var placed = [Field?](repeating: nil, count: fieldInfo.count)
        var folioBase = [Int](repeating: 0, count: FolioFlag.allCases.count)
        var bufferBase = [Int](repeating: 0, count: BufferFlag.allCases.count)
        let changed = changedFlags()
        func placeFlags(changing: Bool) {
            for k in FolioFlag.allCases where changed.folio.contains(k) == changing {
                folioBase[k.rawValue] = a.position
                a.jump(to: a.position + folios.count)
            }
            for k in BufferFlag.allCases where changed.buffer.contains(k) == changing {
                bufferBase[k.rawValue] = a.position
                a.jump(to: a.position + buffers.count)
            }
        }
        placeFlags(changing: true)
        let narrowed = options.narrowLocals ? narrowedLocals() : [:]
        for v in shared {
            for k in 0..<v.count {
                placed[v.firstField + k] = a.allocate(width: widthOf(v.type), signed: v.type == .int)
            }
        }
        if options.trackFolioOwners {
            for f in folios {
                ownerFields.append(addField(FieldInfo(name: "owner of \(f.name)", type: .int, thread: -1, location: f.location)))
                placed.append(a.allocate(width: bitsFor(threads.count)))
            }
        }
        // Copies of one thread declaration start at the same offset within a word, so that their
        // locals get the same layout and symmetry can swap them bit for bit.
        var templateOffset: [Int: Int] = [:]
        for t in threads.indices {
            var start = a.highWater
            if threadDecls[threads[t].template].replica != nil {
                if let off = templateOffset[threads[t].template] {
                    start += (off - start % 64 + 64) % 64
                } else {
                    templateOffset[threads[t].template] = start % 64
                }
            }
            a.jump(to: start)
            var marks: [Int] = []
            for event in allocationLogs[t] {
                switch event {
                case .allocate(let f):
                    let type = fieldInfo[f].type
                    let (width, signed) = narrowed[f] ?? (widthOf(type), type == .int)
                    placed[f] = a.allocate(width: width, signed: signed)
                case .push: marks.append(a.mark)
                case .pop: a.release(to: marks.removeLast())
                }
            }
            threads[t].localBits = start..<a.highWater
        }
        a.jump(to: a.highWater)
        for t in threads.indices {
            threads[t].pcField = addField(FieldInfo(name: "pc", type: .int, thread: t, location: threads[t].location))
            placed.append(a.allocate(width: bitsFor(max(1, threads[t].codeCount - 1))))
        }
        let storedWords = max(1, (a.highWater + 63) / 64)
        a.jump(to: storedWords * 64)
        placeFlags(changing: false)
        let words = max(storedWords, (a.highWater + 63) / 64)
        return (placed.map { $0! }, words, storedWords, folioBase, bufferBase)
    }

    package func finish() -> Program? {
        let l = layout()
        return Program(compiler: self, fields: l.fields, words: l.words, storedWords: l.storedWords,
                       folioFlagBase: l.folioFlagBase, bufferFlagBase: l.bufferFlagBase)
    }
}
