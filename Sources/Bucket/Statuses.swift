import Basics
import Foundation
import Manifest

extension SharedBucket {
    /// Writes a silo's status report to `status/<pipeline>/<silo>.json`.
    public func putStatus(_ report: StatusReport) throws(BucketError) {
        let key = try key { () throws(ManifestError) in try layout.status(pipeline: report.pipeline, silo: report.silo) }
        let data: Data
        do {
            data = try report.canonicalBytes()
        } catch {
            throw BucketError(error, reading: "the status report of \(report.silo)")
        }
        try put(key: key, data: data)
    }

    /// One silo's status report, or nil when it never reported.
    public func status(pipeline: String, silo: String) throws(BucketError) -> StatusReport? {
        let key = try key { () throws(ManifestError) in try layout.status(pipeline: pipeline, silo: silo) }
        guard case .found(let data, _) = try read(key: key, cap: SizeCap.status) else { return nil }
        do {
            return try StatusReport.decode(data)
        } catch {
            throw BucketError(error, reading: "the status report of \(silo)")
        }
    }

    /// Every silo's status report for `pipeline`, read `width` at a time. A report that
    /// cannot be read is returned as a problem, not dropped silently.
    public func statuses(pipeline: String, width: Int = 32) throws(BucketError)
        -> (reports: [StatusReport], problems: [BucketError])
    {
        let prefix = try key { () throws(ManifestError) in try layout.statusPrefix(pipeline: pipeline) }
        let keys = try list(prefix: prefix).map(\.key).filter { $0.hasSuffix(".json") }
        let results = parallelMapResults(keys, width: width) { (key) throws(BucketError) -> StatusReport in
            let data = try require(key: key, cap: SizeCap.status, what: "the status report \(key)")
            do throws(ManifestError) {
                return try StatusReport.decode(data)
            } catch {
                throw BucketError(error, reading: "the status report \(key)")
            }
        }
        var reports: [StatusReport] = []
        var problems: [BucketError] = []
        for result in results {
            switch result {
            case .success(let report): reports.append(report)
            case .failure(let error): problems.append(error)
            }
        }
        return (reports.sorted { $0.silo < $1.silo }, problems)
    }
}

/// `parallelMap` that keeps every item's outcome instead of throwing the first failure.
private func parallelMapResults<T: Sendable, R: Sendable>(
    _ items: [T], width: Int, _ transform: @escaping @Sendable (T) throws(BucketError) -> R
) -> [Result<R, BucketError>] {
    parallelMap(items, width: width) { (item) -> Result<R, BucketError> in
        Result { () throws(BucketError) -> R in try transform(item) }
    }
}
