import AWS
import Foundation

/// A lock across execution environments: one object in the silo's bucket, written with
/// `If-None-Match: *` and holding its owner and an expiry. Two Lambda environments (or an
/// instance and a function) never run a deploy step at once: the second finds the lock
/// held and does nothing. A lock past its expiry (its holder was killed) is taken over
/// with `If-Match` on its ETag, so two takers cannot both win. Released at the end of an
/// invocation, only while it is still the holder's (`If-Match` read, then DELETE).
public struct StateLease: Sendable {
    /// Who holds the lock and until when (the object's JSON).
    public struct Holder: Codable, Sendable, Equatable {
        public var owner: String
        public var expiresAt: Date

        public init(owner: String, expiresAt: Date) {
            self.owner = owner
            self.expiresAt = expiresAt
        }
    }

    /// What `acquire` found.
    public enum Acquisition: Sendable, Equatable {
        /// The lock is ours; `etag` releases it.
        case acquired(etag: String)
        /// Someone else holds it (until `expiresAt`; nil when its body is unreadable).
        case held(owner: String, expiresAt: Date?)
    }

    public let store: any ObjectStore
    public let bucket: String
    public let key: String

    public init(store: any ObjectStore, bucket: String, key: String) {
        self.store = store
        self.bucket = bucket
        self.key = key
    }

    /// Takes the lock for `owner` until `expiresAt`, or says who holds it. A lock whose
    /// expiry passed at `now` is taken over; one whose body cannot be read counts as held
    /// until `unreadableAfter` after its last write.
    public func acquire(owner: String, expiresAt: Date, now: Date,
                        unreadableAfter: TimeInterval = 1_800) throws(AgentError) -> Acquisition {
        let body = Self.encode(Holder(owner: owner, expiresAt: expiresAt))
        for _ in 0..<3 {
            do {
                let put = try store.putObject(bucket: bucket, key: key, data: body,
                                              options: S3.PutOptions(condition: .ifAbsent, contentType: "application/json"))
                return .acquired(etag: put.etag ?? "")
            } catch where error.code == .preconditionFailed {
                // Held, or stale: read who has it.
            } catch {
                throw Self.failure(error, doing: "taking the lock s3://\(bucket)/\(key)")
            }
            let info: S3.ObjectInfo
            let current: Data
            do {
                guard case .object(let found, let data) = try store.getObject(bucket: bucket, key: key,
                                                                              options: S3.GetOptions(), limit: 64 << 10)
                else { continue }
                info = found
                current = data
            } catch where error.code == .noSuchKey {
                continue  // released meanwhile: try again
            } catch {
                throw Self.failure(error, doing: "reading the lock s3://\(bucket)/\(key)")
            }
            let holder = Self.decode(current)
            let stale: Bool
            if let holder {
                stale = holder.expiresAt <= now
            } else {
                stale = (info.lastModified ?? now).addingTimeInterval(unreadableAfter) <= now
            }
            guard stale, let etag = info.etag else {
                return .held(owner: holder?.owner ?? "an unreadable lock", expiresAt: holder?.expiresAt)
            }
            do {
                let put = try store.putObject(bucket: bucket, key: key, data: body,
                                              options: S3.PutOptions(condition: .ifMatch(etag), contentType: "application/json"))
                return .acquired(etag: put.etag ?? "")
            } catch where error.code == .preconditionFailed || error.code == .noSuchKey {
                continue  // someone else took it over or released it first
            } catch {
                throw Self.failure(error, doing: "taking over the stale lock s3://\(bucket)/\(key)")
            }
        }
        throw AgentError(.locked, "the lock s3://\(bucket)/\(key) changed hands three times while this agent tried "
            + "to take it; it tries again at the next invocation", next: .transient)
    }

    /// Releases the lock taken with `etag`, unless someone took it over meanwhile (then
    /// returns false and leaves it alone).
    @discardableResult
    public func release(etag: String) throws(AgentError) -> Bool {
        do {
            _ = try store.getObject(bucket: bucket, key: key, options: S3.GetOptions(ifMatch: etag), limit: 64 << 10)
        } catch where error.code == .preconditionFailed || error.code == .noSuchKey {
            return false
        } catch {
            throw Self.failure(error, doing: "reading the lock s3://\(bucket)/\(key) to release it")
        }
        do {
            try store.deleteObject(bucket: bucket, key: key, versionId: nil)
        } catch {
            throw Self.failure(error, doing: "releasing the lock s3://\(bucket)/\(key)")
        }
        return true
    }

    static func encode(_ holder: Holder) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(holder)) ?? Data()
    }

    static func decode(_ data: Data) -> Holder? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Holder.self, from: data)
    }

    static func failure(_ error: AWSError, doing what: String) -> AgentError {
        let next: AgentError.NextStep = error.isRetryable ? .transient : .needsPerson
        return AgentError(.service, "\(what) failed: \(error); check that the agent may read, write and delete "
            + "objects in its artifact bucket", next: next, cause: error)
    }
}
