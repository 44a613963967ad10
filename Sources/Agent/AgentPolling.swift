import Basics
import Bucket
import Foundation
import Manifest

/// What one poll of a pipeline's pin and channel pointer found.
struct Polled {
    var pin: Observation<Pointer>
    var pointer: Observation<Pointer>
    /// Reads that failed in a way a person must see (403 on the channel pointer, an
    /// oversized document): reported, while what runs keeps running.
    var problems: [AgentError]
    /// The pin could not be read (403): it may name another release than the channel, so
    /// nothing moves on this tick.
    var pinUnreadable = false
}

extension Agent {
    /// DESIGN.md step 1: a conditional GET (`If-None-Match` with the last ETag) of the
    /// pin and of the channel pointer; what changed is opened (signature, issuer, expiry).
    /// Only a `404` means "no pin" (the silo role may list `pins/`, so S3 answers 404 for
    /// a missing pin, stacksets/ferry-silo.yaml); a `403` on either document is reported
    /// and changes nothing: the target in force stays, and the next tick reads again. The
    /// pin is read only when `readPin` (every `pinInterval`); otherwise it counts as unchanged.
    func poll(_ pipeline: String, lastPointer: AcceptedDocument?, lastPin: AcceptedDocument?,
              readPin: Bool = true, now: Date) throws(AgentError) -> Polled {
        let layout = bucket.layout
        let pinKey: String
        let pointerKey: String
        do {
            pinKey = try layout.pin(pipeline: pipeline, silo: silo)
            pointerKey = try layout.channel(pipeline: pipeline, channel: settings.channel)
        } catch {
            throw AgentError(.configuration, error.message, next: .needsPerson)
        }
        var problems: [AgentError] = []
        var pinUnreadable = false
        let pinETag = lastPin.flatMap { $0.name != silo ? nil : $0.etag }
        let pin: Observation<Pointer>
        switch readPin ? try read(pinKey, etag: pinETag, cap: SizeCap.pointer, what: "the pin of \(pipeline)/\(silo)")
                       : .notModified {
        case .notModified: pin = .notModified
        case .absent: pin = .absent
        case .denied(let error):
            problems.append(AgentError(.accessDenied, "reading the pin of \(pipeline)/\(silo) was denied (HTTP 403): "
                + "\(error.message); the agent keeps its current target: let this silo read and list \(pinKey) "
                + "(bucket policy, agent role)", next: .needsPerson, cause: error))
            pin = .notModified
            pinUnreadable = true
        case .found(let data, let etag):
            do {
                pin = .fetched(try openPointer(bytes: data, trust: trust, now: now), sha256: sha256Hex(data), etag: etag)
            } catch {
                pin = .refused(error)
            }
        case .problem(let error):
            problems.append(error)
            pin = .notModified
        }
        let pointerETag = lastPointer.flatMap { $0.name == settings.channel ? $0.etag : nil }
        let pointer: Observation<Pointer>
        let what = "the channel pointer of \(pipeline)/\(settings.channel)"
        switch try read(pointerKey, etag: pointerETag, cap: SizeCap.pointer, what: what) {
        case .notModified: pointer = .notModified
        case .absent: pointer = .absent
        case .denied(let error):
            problems.append(AgentError(.accessDenied, "reading \(what) was denied (HTTP 403): \(error.message); the agent "
                + "keeps running what runs: let this silo read \(pointerKey) (bucket policy, agent role)",
                next: .needsPerson, cause: error))
            pointer = .notModified
        case .found(let data, let etag):
            do {
                pointer = .fetched(try openPointer(bytes: data, trust: trust, now: now), sha256: sha256Hex(data),
                                   etag: etag)
            } catch {
                pointer = .refused(error)
            }
        case .problem(let error):
            problems.append(error)
            pointer = .notModified
        }
        return Polled(pin: pin, pointer: pointer, problems: problems, pinUnreadable: pinUnreadable)
    }

    private enum Read {
        case notModified, absent
        case denied(BucketError)
        case found(Data, etag: String)
        /// Refused as read: too large.
        case problem(AgentError)
    }

    private func read(_ key: String, etag: String?, cap: Int, what: String) throws(AgentError) -> Read {
        do {
            switch try bucket.read(key: key, ifNoneMatch: etag, cap: cap) {
            case .notModified: return .notModified
            case .absent: return .absent
            case .found(let data, let etag): return .found(data, etag: etag)
            }
        } catch where error.code == .tooLarge {
            return .problem(AgentError(.refused, "\(what) was refused: \(error.message)", next: .needsPerson))
        } catch where error.cause?.status == 403 {
            return .denied(error)
        } catch {
            throw AgentError.bucket(error, "reading \(what)")
        }
    }
}
