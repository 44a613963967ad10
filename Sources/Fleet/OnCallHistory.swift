import AWS
import Basics
import Bucket
import Foundation
import Manifest

extension OnCall {
    /// The releases of `pipeline` and every move of its channels (or of `channel` only)
    /// and, for the whole pipeline, of its pins. Manifests and pointer versions are read
    /// `width` at a time.
    public func history(pipeline: String, channel: String? = nil) throws(FleetError) -> History {
        let releases = try releaseEntries(pipeline: pipeline)
        let names: [String]
        if let channel {
            names = [channel]
        } else {
            names = try channels(pipeline: pipeline)
        }
        var histories: [ChannelHistory] = []
        for name in names {
            histories.append(try channelHistory(pipeline: pipeline, channel: name))
        }
        let pins = channel == nil ? try pinHistory(pipeline: pipeline) : []
        return History(pipeline: pipeline, releases: releases, channels: histories, pins: pins)
    }

    /// Every published release of `pipeline`, highest first, from its manifest.
    public func releaseEntries(pipeline: String) throws(FleetError) -> [ReleaseEntry] {
        let versions: [SemVer]
        do {
            versions = try bucket.releases(pipeline: pipeline)
        } catch {
            throw FleetError(error, doing: "listing the releases of \(pipeline)")
        }
        let bucket = self.bucket
        return parallelMap(versions, width: width) { (version) -> ReleaseEntry in
            do {
                let key = try bucket.layout.manifest(pipeline: pipeline, version: version)
                let bytes = try bucket.require(key: key, cap: SizeCap.manifest, what: "the manifest of \(version)")
                return ReleaseEntry(try Manifest.decode(bytes))
            } catch let error as BucketError where error.code == .notFound {
                return ReleaseEntry(version: version, problem: HalfPublished.note(pipeline: pipeline, version: version))
            } catch let error as ManifestError {
                return ReleaseEntry(version: version, problem: "the manifest cannot be read: \(error.message)")
            } catch {
                return ReleaseEntry(version: version, problem: "\(error)")
            }
        }
    }

    /// Every version of `channel`'s pointer object, as moves, highest serial first.
    public func channelHistory(pipeline: String, channel: String) throws(FleetError) -> ChannelHistory {
        let key = try channelKey(pipeline: pipeline, channel: channel)
        let versions: [S3.ObjectVersion]
        do {
            versions = try bucket.versions(of: key).filter { !$0.isDeleteMarker }
        } catch {
            throw FleetError(error, doing: "listing the moves of channel \(channel)")
        }
        let bucket = self.bucket
        let results = parallelMap(versions, width: width) { (version) -> Result<PointerMove, FleetError> in
            Result { () throws(FleetError) -> PointerMove in
                let read: SharedBucket.Read
                do throws(BucketError) {
                    read = try bucket.read(key: key, versionId: version.versionId, cap: SizeCap.pointer)
                } catch {
                    throw FleetError(error, doing: "reading version \(version.versionId) of \(key)")
                }
                guard case .found(let data, _) = read else {
                    throw FleetError(.notFound, "version \(version.versionId) of \(key) is gone")
                }
                do throws(ManifestError) {
                    let pointer = try unverifiedContents(Pointer.self, ofEnvelope: data)
                    guard pointer.scope == .channel(channel),
                          let move = PointerMove(pointer, objectVersionId: version.versionId) else {
                        throw ManifestError(.wrongDocument, "it is \(pointer.scope), not channel \(channel)")
                    }
                    return move
                } catch {
                    throw FleetError(.invalidInput, "version \(version.versionId) of \(key): \(error.message)")
                }
            }
        }
        var moves: [PointerMove] = []
        var problems: [String] = []
        for result in results {
            switch result {
            case .success(let move): moves.append(move)
            case .failure(let error): problems.append(error.message)
            }
        }
        return ChannelHistory(channel: channel, moves: moves, problems: problems)
    }

    /// Every pin and unpin of every silo of `pipeline`: by silo, newest first within one.
    public func pinHistory(pipeline: String) throws(FleetError) -> [PinMove] {
        let prefix: String
        do {
            prefix = try bucket.layout.pinsPrefix(pipeline: pipeline)
        } catch {
            throw FleetError(.invalidInput, error.message)
        }
        let listed: [S3.ObjectVersion]
        do {
            listed = try bucket.store.listObjectVersions(bucket: bucket.name, prefix: prefix, pageSize: nil)
        } catch {
            throw FleetError(error, doing: "listing the pins of \(pipeline)")
        }
        let versions = Self.newestFirst(listed.filter { Self.isSiloFile($0.key, under: prefix) })
        let bucket = self.bucket
        return parallelMap(versions, width: width) { (version) throws(Never) -> PinMove in
            Self.pinMove(version, prefix: prefix, bucket: bucket)
        }
    }

    /// By key, then the current version or delete marker, then the others newest first
    /// (S3 may list a key's delete markers after its versions).
    static func newestFirst(_ versions: [S3.ObjectVersion]) -> [S3.ObjectVersion] {
        versions.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if x.key != y.key { return x.key < y.key }
            if x.isLatest != y.isLatest { return x.isLatest }
            let (tx, ty) = (x.lastModified ?? .distantPast, y.lastModified ?? .distantPast)
            return tx != ty ? tx > ty : a.offset < b.offset
        }.map(\.element)
    }

    static func isSiloFile(_ key: String, under prefix: String) -> Bool {
        key.hasSuffix(".json") && !key.dropFirst(prefix.count).contains("/")
    }

    /// One version of a pin object as a move; a pin that cannot be read keeps only its time.
    static func pinMove(_ version: S3.ObjectVersion, prefix: String, bucket: SharedBucket) -> PinMove {
        let silo = String(version.key.dropFirst(prefix.count).dropLast(".json".count))
        var move = PinMove(silo: silo, removed: version.isDeleteMarker,
                           time: version.lastModified.map(Timestamp.format) ?? "", objectVersionId: version.versionId)
        guard !version.isDeleteMarker else { return move }
        let read = try? bucket.read(key: version.key, versionId: version.versionId, cap: SizeCap.pointer)
        guard case .found(let data, _) = read, let pin = try? unverifiedContents(Pointer.self, ofEnvelope: data) else {
            return move
        }
        move.serial = pin.serial
        move.version = pin.release?.version
        move.removed = pin.isEnded
        move.issuedBy = pin.issuedBy
        move.reason = pin.reason
        move.time = pin.issuedAt
        return move
    }
}
