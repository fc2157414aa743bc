// LockhuntKit is what users of the library import: every layer of the pipeline under one name.
// Inside the package each target imports only the layers below it (Package.swift).
@_exported import LockhuntBasics
@_exported import LockhuntLanguage
@_exported import LockhuntProgram
@_exported import LockhuntExploration
@_exported import LockhuntFindings
@_exported import LockhuntTraces
@_exported import LockhuntLockOrder
@_exported import LockhuntExport
@_exported import LockhuntDriver
@_exported import LockhuntBench
@_exported import LockhuntReports
