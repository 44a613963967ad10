import Foundation

extension Agent {
    /// A tick that only reads: per pipeline the idle outcome, when every pipeline's tick
    /// would end in `reconcile`'s idle branch without writing anything (no journal row, no
    /// status report, no CloudFormation call); nil as soon as one would write or act, or
    /// when this process has not reported yet or a heartbeat is due. A silo waiting for the
    /// channel's first release is idle too (outcome `waiting`).
    ///
    /// `ferry agent lambda` asks this before it takes the silo's lock, over the journal its
    /// warm environment holds (not the bucket's): an idle invocation then costs the
    /// pointer's conditional GET (and the pin's, every `pinInterval`), and no lock. It
    /// writes nothing, so it cannot run a deploy step. Its journal may be older than the
    /// bucket's (another environment wrote since); it then still answers what that
    /// environment would: another environment starts from this one's last upload, so with
    /// the pointer and the pin at the ETags this journal accepted, and no deployment in
    /// flight here, it found the same idle silo (its writes there are heartbeats). Anything
    /// that changed (a pointer, a pin, a deployment in flight, a wave that opened, a
    /// refusal, a heartbeat due, a bake under way, a drift check due) makes it answer nil: the caller takes the lock, loads the
    /// bucket's journal and runs `once()`. What a tick does on a timer must be due here
    /// too. The pin's read time is kept only when every pipeline is idle.
    public func idleCheck() throws(AgentError) -> [PipelineOutcome]? {
        var outcomes: [PipelineOutcome] = []
        var pinsRead: [String: Date] = [:]
        for pipeline in settings.pipelines {
            guard try journal.inFlight(pipeline: pipeline) == nil, hasReported(pipeline) else { return nil }
            let now = clock.now()
            guard try !reporter.heartbeatDue(pipeline: pipeline, now: now) else { return nil }
            // What a tick does on a timer: watch a baking release's alarms, check for drift.
            guard reporter.health[pipeline]?.state != .baking,
                  !DriftDecision.isDue(settings.drift, last: try? reporter.lastReport(pipeline), now: now)
            else { return nil }
            let accepted = try journal.acceptedDocuments(pipeline: pipeline, channel: settings.channel, silo: silo)
            let readPin = pinReadAt[pipeline].map { now.timeIntervalSince($0) >= settings.pinInterval } ?? true
            let polled = try poll(pipeline, lastPointer: accepted.pointer, lastPin: accepted.pin, readPin: readPin,
                                  now: now)
            guard polled.problems.isEmpty, !polled.pinUnreadable else { return nil }
            // A missing pointer is explained under the lock (`explainAbsence` lists and may
            // report), unless it is the channel's first release that this silo still waits
            // for, judged less than a heartbeat ago: `explainAbsence` would keep that verdict.
            var waitingFor: AgentError?
            switch (polled.pointer.isAbsent, reporter.absence[pipeline]) {
            case (false, nil): break
            case (true, .waiting(let note)?) where accepted.pointer?.name != settings.channel:
                guard let judged = absenceJudgedAt[pipeline], now.timeIntervalSince(judged) < settings.heartbeat
                else { return nil }
                waitingFor = note
            default: return nil
            }
            let selection = selectTarget(SelectionInput(
                pipeline: pipeline, channel: settings.channel, silo: silo, lastPointer: accepted.pointer,
                lastPin: accepted.pin, pointer: polled.pointer, pin: polled.pin, now: now,
                failed: try journal.failedTargets(pipeline: pipeline),
                applied: try journal.lastAppliedTarget(pipeline: pipeline), facts: facts))
            guard selection.record.isEmpty, selection.refusals.isEmpty else { return nil }
            switch selection.verdict {
            case .deploy: return nil
            case .unchanged, .alreadyFailed, .nothing: break
            }
            let rollout = accepted.pointer?.rollout
            guard reporter.waveWait[pipeline] == selection.waiting,
                  reporter.waveIndex[pipeline] == rollout.map({ $0.waveIndex(of: facts) }) else { return nil }
            if readPin { pinsRead[pipeline] = now }
            if let wave = selection.waiting {
                outcomes.append(PipelineOutcome(pipeline: pipeline, kind: .waiting, error: wave))
            } else if case .nothing = selection.verdict, let waitingFor {
                outcomes.append(PipelineOutcome(pipeline: pipeline, kind: .waiting, error: waitingFor))
            } else {
                outcomes.append(PipelineOutcome(pipeline: pipeline, kind: .idle))
            }
        }
        pinReadAt.merge(pinsRead) { $1 }
        return outcomes
    }
}

extension Observation {
    /// Whether the document was not there (404).
    var isAbsent: Bool {
        if case .absent = self { true } else { false }
    }
}
