using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// Records one run: every param, metric, tag, artifact and status change goes first into the run folder's
/// journal.jsonl, then (when a server is configured) to MLflow from a background queue. Nothing here throws into
/// the caller or blocks it, except <see cref="End"/>, which waits at most <see cref="TrackingSettings.FlushTimeout"/>
/// for the queue to drain. Failures are reported through <see cref="IReporter.Warning"/>; whatever did not reach
/// the server stays in the journal for Publish-CnnRun. <see cref="RunTracker"/> drives one of these for a training
/// run; <see cref="RunTracker.StartParentRun"/> makes one for a sweep's parent run.
/// </summary>
public sealed class RunRecorder : IDisposable
{
    private readonly TrackingSettings settings;
    private readonly IReporter reporter;
    private readonly RunJournal journal;
    private readonly JournaledRun state;
    private readonly Lock stateGate = new();
    private readonly MlflowClient? client;
    private readonly RunSynchronizer? sync;
    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim signal = new(0, 1);
    private readonly Task? worker;
    private volatile bool ending;
    private volatile bool everConnected;
    private volatile bool warnedOffline;
    private volatile bool lost;
    private volatile bool refused;
    private volatile string? refusal;
    private volatile string? stoppedBy;
    private readonly TaskCompletionSource endingSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool ended;
    private bool disposed;

    private RunRecorder(TrackingSettings settings, IReporter reporter, RunJournal journal, string? folder, string runId, string runName)
    {
        this.settings = settings;
        this.reporter = new ScrubbingReporter(reporter, settings);
        this.journal = journal;
        Folder = folder;
        RunId = runId;
        RunName = runName;
        this.state = JournaledRun.From(journal.Events);
        if (settings.IsRemote)
        {
            // One attempt per request: the worker below backs off and retries itself, and can then stop at once for a
            // server that refuses connections instead of sitting in the client's own retry loop.
            this.client = new MlflowClient(settings, attempts: 1);
            sync = new RunSynchronizer(this.client, settings, journal, this.reporter, folder, reconcile: false);
            this.worker = Task.Run(WorkerAsync);
        }
    }

    /// <summary>Our id of the run (the mnistcnn.run_id tag on the server).</summary>
    public string RunId { get; }
    public string RunName { get; }
    /// <summary>The run folder holding journal.jsonl, or null when the journal is only in memory.</summary>
    public string? Folder { get; }
    public string? JournalPath => this.journal.Path;
    /// <summary>The MLflow run id once the run exists on the server.</summary>
    public string? ServerRunId => sync?.ServerRunId;
    /// <summary>Journal events the server has not acknowledged (0 without a server).</summary>
    public int PendingCount => sync?.PendingCount ?? 0;

    /// <summary>
    /// Waits until the run exists on the server, at most <paramref name="timeout"/>; false when it does not by then
    /// (no server, the server refuses connections or answered with an error that stops sending, or it is slow).
    /// </summary>
    public bool WaitUntilOnServer(TimeSpan timeout)
    {
        if (this.sync is null) return false;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (ServerRunId is null && !this.refused && this.stoppedBy is null && clock.Elapsed < timeout) Thread.Sleep(10);
        return ServerRunId is not null;
    }

    /// <summary>How <see cref="End"/> left the server: null before it, then Sent, Unreachable, Stopped or TimedOut.</summary>
    public FlushOutcome? Outcome { get; private set; }

    /// <summary>
    /// Starts recording: opens (or continues) the journal in <paramref name="folder"/> and starts the background sender
    /// when <paramref name="settings"/> names a server. Never throws for I/O or network trouble; reports it instead.
    /// </summary>
    public static RunRecorder Start(TrackingSettings settings, string? folder, string runId, string runName, DateTimeOffset startTime, IReporter? reporter = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        reporter ??= NullReporter.Instance;
        var scrub = new ScrubbingReporter(reporter, settings);
        RunJournal journal;
        if (folder is null)
        {
            journal = RunJournal.InMemory();
            if (settings.IsRemote) scrub.Warning($"Run {runId} has no output folder, so its journal is kept in memory only: what does not reach {settings.ServerDisplay} is lost.");
        }
        else
        {
            try
            {
                journal = RunJournal.Open(folder, scrub);
                var existing = JournaledRun.From(journal.Events);
                if (existing.HasRunEvent && existing.RunId != runId)
                {
                    journal.Dispose();
                    string aside = Path.Combine(folder, $"journal.{Sanitize(existing.RunId)}.jsonl");
                    File.Move(Path.Combine(folder, RunJournal.FileName), aside, overwrite: true);
                    scrub.Warning($"The folder {folder} held the journal of run {existing.RunId}; it was moved to {aside}.");
                    journal = RunJournal.Open(folder, scrub);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or MnistCnnException)
            {
                scrub.Warning($"The run journal cannot be written in {folder} ({ex.Message}); run {runId} is tracked in memory only.");
                journal = RunJournal.InMemory();
            }
        }
        var state = JournaledRun.From(journal.Events);
        if (!state.HasRunEvent)
        {
            journal.Append(RunJournal.RunType, new JsonObject
            {
                ["run_id"] = runId,
                ["run_name"] = runName,
                ["experiment"] = settings.Experiment,
                ["start_time"] = startTime.ToUnixTimeMilliseconds(),
                ["parent_run_id"] = settings.ParentRunId,
            });
        }
        else if (state.Status != "RUNNING")
        {
            // Resumed from a checkpoint: running again.
            journal.Append(RunJournal.StatusType, new JsonObject { ["status"] = "RUNNING" });
        }
        return new RunRecorder(settings, reporter, journal, folder, runId, runName);
    }

    // ---------------------------------------------------------------- logging

    /// <summary>The tag prefix that records a resumed run's new value of a param it had logged before: <c>mnistcnn.resumed.epochs</c>.</summary>
    public const string ResumedTagPrefix = "mnistcnn.resumed.";

    /// <summary>Logs params (write-once: the same value again is ignored, a different value is refused with a warning).</summary>
    public void LogParams(IEnumerable<KeyValuePair<string, string>> parameters) => Guard("log params", () =>
    {
        foreach (var (key, old, value) in AddParams(parameters))
        {
            this.reporter.Warning($"Param '{key}' was already logged as '{MlflowClient.Shorten(old, 100)}'; the new value '{MlflowClient.Shorten(value, 100)}' is ignored (params are write-once).");
        }
    });

    /// <summary>
    /// Logs the params of a run that may be a resumed one. A resume may change some settings (a longer -Epochs, other
    /// threads or device); MLflow params are write-once, so the param keeps the value the run started with and the new
    /// value goes to the tag <see cref="ResumedTagPrefix"/>+key (replaced by each later resume), with a Verbose line.
    /// </summary>
    public void LogResumedParams(IEnumerable<KeyValuePair<string, string>> parameters) => Guard("log params", () =>
    {
        var changed = AddParams(parameters);
        if (changed.Count == 0) return;
        foreach (var (key, old, value) in changed)
        {
            this.reporter.Verbose($"Run {RunId} resumed with {key} = '{MlflowClient.Shorten(value, 100)}' (it started with '{MlflowClient.Shorten(old, 100)}'): the param keeps the first value (MLflow params are write-once), the tag {ResumedTagPrefix}{key} has the new one.");
        }
        SetTags(changed.Select(c => new KeyValuePair<string, string>(ResumedTagPrefix + c.Key, c.Value)));
    });

    /// <summary>Journals the params not logged before; returns those logged before with another value.</summary>
    private List<(string Key, string Old, string Value)> AddParams(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var add = new JsonObject();
        var changed = new List<(string Key, string Old, string Value)>();
        lock (stateGate)
        {
            foreach (var (rawKey, rawValue) in parameters)
            {
                string key = Key(rawKey, "param");
                string value = Value(key, rawValue ?? "", MlflowLimits.MaxParamValueLength, "param");
                if (this.state.Params.TryGetValue(key, out var old) || add[key] is not null && (old = MlflowClient.Str(add[key])) is not null)
                {
                    if (old != value) changed.Add((key, old, value));
                    continue;
                }
                add[key] = value;
            }
            if (add.Count > 0) Append(RunJournal.ParamsType, new JsonObject { ["params"] = add });
        }
        return changed;
    }

    /// <summary>Sets tags (a later value replaces an earlier one).</summary>
    public void SetTags(IEnumerable<KeyValuePair<string, string>> tags) => Guard("set tags", () =>
    {
        var add = new JsonObject();
        lock (stateGate)
        {
            foreach (var (rawKey, rawValue) in tags)
            {
                string key = Key(rawKey, "tag");
                string value = Value(key, rawValue ?? "", MlflowLimits.MaxTagValueLength, "tag");
                if (this.state.Tags.TryGetValue(key, out var old) && old == value) continue;
                add[key] = value;
            }
            if (add.Count > 0) Append(RunJournal.TagsType, new JsonObject { ["tags"] = add });
        }
    });

    /// <summary>Logs metric values at one step (NaN and infinities are kept and sent as MLflow expects them).</summary>
    public void LogMetrics(IEnumerable<KeyValuePair<string, double>> metrics, long step, DateTimeOffset? time = null) => Guard("log metrics", () =>
    {
        long timestamp = (time ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        var list = new JsonArray();
        foreach (var (rawKey, value) in metrics)
        {
            list.Add(MlflowClient.MetricJson(new MetricPoint(Key(rawKey, "metric"), value, step, timestamp)));
        }
        if (list.Count > 0)
        {
            lock (stateGate) Append(RunJournal.MetricsType, new JsonObject { ["metrics"] = list });
        }
    });

    /// <summary>Whether the journal already holds <paramref name="key"/> at <paramref name="step"/> (a resumed run logs each epoch once).</summary>
    public bool HasMetric(string key, long step)
    {
        lock (stateGate) return this.state.Metrics.Any(m => m.Step == step && string.Equals(m.Key, key, StringComparison.Ordinal));
    }

    /// <summary>Journals files of the run folder (paths relative to it, '/'-separated) for upload.</summary>
    public void AddArtifacts(IEnumerable<string> relativePaths) => Guard("add artifacts", () =>
    {
        if (Folder is null) return;
        lock (stateGate)
        {
            var list = NewArtifacts(this.state, Folder, relativePaths, this.reporter);
            if (list.Count > 0) Append(RunJournal.ArtifactsType, new JsonObject { ["artifacts"] = list });
        }
    });

    /// <summary>Journal entries for the files among <paramref name="relativePaths"/> that are new or changed.</summary>
    internal static JsonArray NewArtifacts(JournaledRun state, string folder, IEnumerable<string> relativePaths, IReporter reporter)
    {
        var list = new JsonArray();
        foreach (var raw in relativePaths)
        {
            string path = raw.Replace('\\', '/').Trim('/');
            if (path.Length == 0 || path.Split('/').Any(s => s is ".." or "."))
            {
                reporter.Warning($"Artifact path '{raw}' is not inside the run folder; it is not uploaded.");
                continue;
            }
            string file = Path.Combine(folder, path.Replace('/', Path.DirectorySeparatorChar));
            if (!File.Exists(file)) continue;
            long size = new FileInfo(file).Length;
            string sha = Sha256(file);
            if (state.Artifacts.TryGetValue(path, out var old) && old.Sha256 == sha) continue;
            list.Add(new JsonObject { ["path"] = path, ["size"] = size, ["sha256"] = sha });
        }
        return list;
    }

    /// <summary>The files of a run folder that are uploaded as artifacts: spec.yaml, result.json, model/**, *.png, report.html.</summary>
    public static IReadOnlyList<string> StandardArtifacts(string folder)
    {
        var list = new List<string>();
        if (!Directory.Exists(folder)) return list;
        foreach (var name in new[] { Runs.RunFiles.Spec, Runs.RunFiles.Result, "report.html" })
        {
            if (File.Exists(Path.Combine(folder, name))) list.Add(name);
        }
        list.AddRange(Directory.EnumerateFiles(folder, "*.png").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));
        string model = Path.Combine(folder, Runs.RunFiles.Model);
        if (Directory.Exists(model))
        {
            list.AddRange(Directory.EnumerateFiles(model, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal));
        }
        return list;
    }

    /// <summary>
    /// Ends the run: sets its status (with the error as the tag mnistcnn.error), then waits at most
    /// <see cref="TrackingSettings.FlushTimeout"/> for the server to get everything. Returns true when nothing is left
    /// to send; otherwise says how to publish the rest later.
    /// </summary>
    public bool End(RunStatus status, DateTimeOffset endTime, string? error = null)
    {
        if (ended) return PendingCount == 0;
        ended = true;
        Guard("end the run", () =>
        {
            if (!string.IsNullOrEmpty(error)) SetTags([new("mnistcnn.error", error)]);
            lock (stateGate)
            {
                Append(RunJournal.StatusType, new JsonObject { ["status"] = StatusName(status), ["end_time"] = endTime.ToUnixTimeMilliseconds() });
            }
        });
        return Flush();
    }

    public static string StatusName(RunStatus status) => status switch
    {
        RunStatus.Finished => "FINISHED",
        RunStatus.Killed => "KILLED",
        RunStatus.Running => "RUNNING",
        _ => "FAILED",
    };

    /// <summary>The status an MLflow or journal status name stands for (SCHEDULED and unknown or missing names: Running).</summary>
    public static RunStatus ParseStatus(string? name) => name?.ToUpperInvariant() switch
    {
        "FINISHED" => RunStatus.Finished,
        "KILLED" => RunStatus.Killed,
        "FAILED" => RunStatus.Failed,
        _ => RunStatus.Running,
    };

    private bool Flush()
    {
        ending = true;
        endingSignal.TrySetResult();
        Signal();
        if (this.worker is null || sync is null)
        {
            Outcome = FlushOutcome.Sent;
            return true;
        }
        bool drained;
        try
        {
            drained = this.worker.Wait(this.settings.FlushTimeout);
            if (!drained)
            {
                this.stop.Cancel();
                this.worker.Wait(TimeSpan.FromSeconds(5));
            }
        }
        catch (AggregateException)
        {
            drained = false;
        }
        int left;
        try
        {
            left = sync.PendingCount;
        }
        catch (Exception ex)
        {
            this.reporter.Warning($"Cannot tell what reached {this.settings.ServerDisplay}: {ex.Message}");
            return false;
        }
        if (left == 0)
        {
            if (this.lost || warnedOffline) this.reporter.Verbose($"Run {RunId}: everything reached {this.settings.ServerDisplay} after all.");
            Outcome = FlushOutcome.Sent;
            return true;
        }
        string how = Folder is null
            ? "The run has no output folder, so it cannot be published later."
            : $"Publish it later with: Publish-CnnRun -Path '{Folder}' -TrackingUri {this.settings.ServerDisplay}";
        if (stoppedBy is not null)
        {
            // The worker already warned with the server's answer (e.g. 401) and how to publish; no timeout was waited out.
            Outcome = FlushOutcome.Stopped;
            this.reporter.Verbose($"Run {RunId}: {left} journal event(s) were not sent ({stoppedBy}); they are kept in {JournalPath ?? "memory"}. {how}");
        }
        else if (this.refused && !everConnected)
        {
            Outcome = FlushOutcome.Unreachable;
            string unsent = $"MLflow tracking: {refusal} Run {RunId} is journaled in {JournalPath ?? "memory"} ({left} event(s) not sent). {how}";
            if (warnedOffline) this.reporter.Verbose($"Run {RunId}: {left} journal event(s) did not reach {this.settings.ServerDisplay}. {how}");
            else if (this.settings.Offline is { } notice) notice.Report(this.reporter, this.settings, refusal ?? "", unsent);
            else this.reporter.Warning(unsent);
        }
        else if (warnedOffline && !everConnected)
        {
            Outcome = FlushOutcome.TimedOut;
            this.reporter.Verbose($"Run {RunId}: {left} journal event(s) did not reach {this.settings.ServerDisplay}. {how}");
        }
        else
        {
            Outcome = FlushOutcome.TimedOut;
            this.reporter.Warning($"Run {RunId}: {left} journal event(s) did not reach the MLflow server {this.settings.ServerDisplay} within {this.settings.FlushTimeout.TotalSeconds:0.#} s; they are kept in {JournalPath ?? "memory"}. {how}");
        }
        return false;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        this.stop.Cancel();
        try
        {
            this.worker?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        this.journal.Dispose();
        this.client?.Dispose();
        this.stop.Dispose();
        signal.Dispose();
    }

    // ---------------------------------------------------------------- background sender

    private async Task WorkerAsync()
    {
        int failures = 0;
        var token = this.stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (sync!.PendingCount == 0)
                {
                    if (ending) return;
                    await signal.WaitAsync(token);
                    continue;
                }
                await sync.SyncAsync(token);
                if (failures > 0) this.reporter.Verbose($"Run {RunId}: the MLflow server {this.settings.ServerDisplay} answers again; queued items sent.");
                failures = 0;
                everConnected = true;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (MlflowApiException ex) when (ex.IsTransient)
            {
                failures++;
                if (!everConnected && ex.IsConnectionFailure)
                {
                    this.refused = true;
                    refusal = ex.Message;
                    // A server that has refused every connection since the run started is not waited for at its end:
                    // the journal keeps everything for Publish-CnnRun (a server lost mid-run is still waited for).
                    if (ending) return;
                }
                if (!everConnected && !warnedOffline && ex.StatusCode == 0)
                {
                    warnedOffline = true;
                    string how = Folder is null ? "The run has no output folder, so it cannot be published later." : $"If it does not come back, publish the run later with: Publish-CnnRun -Path '{Folder}' -TrackingUri {this.settings.ServerDisplay}";
                    string offline = $"MLflow tracking: {ex.Message} Training goes on and run {RunId} is journaled in {JournalPath ?? "memory"}; it is sent if the server comes back during the run. {how}";
                    if (this.settings.Offline is { } notice) notice.Report(this.reporter, this.settings, ex.Message, offline);
                    else this.reporter.Warning(offline);
                }
                else if (!everConnected && ex.StatusCode != 0)
                {
                    this.reporter.Verbose($"Run {RunId}: {ex.Message} Retrying with back-off.");
                }
                else if (everConnected && !this.lost)
                {
                    this.lost = true;
                    this.reporter.Verbose($"Run {RunId}: lost the MLflow server ({ex.Message}); retrying with back-off, items stay queued.");
                }
                try
                {
                    var wait = this.settings.Delay(MlflowClient.BackOff(this.settings, failures, ex.RetryAfter), token);
                    // Never connected: the end of the run cuts the back-off short for one last try.
                    if (!everConnected) await Task.WhenAny(wait, endingSignal.Task);
                    else await wait;
                    token.ThrowIfCancellationRequested();
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                stoppedBy = ex.Message;
                string how = Folder is null ? "" : $" Fix the cause, then publish the run with: Publish-CnnRun -Path '{Folder}' -TrackingUri {this.settings.ServerDisplay}";
                this.reporter.Warning($"MLflow tracking stopped for run {RunId}: {ex.Message} The run is still journaled in {JournalPath ?? "memory"}.{how}");
                return;
            }
        }
    }

    private void Signal()
    {
        try
        {
            if (signal.CurrentCount == 0) signal.Release();
        }
        catch (SemaphoreFullException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // ---------------------------------------------------------------- helpers

    private void Append(string type, JsonObject data)
    {
        var e = this.journal.Append(type, data);
        this.state.Apply(e);
        Signal();
    }

    private void Guard(string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            this.reporter.Warning($"Tracking could not {what} for run {RunId}: {ex.Message}");
        }
    }

    private string Key(string key, string kind)
    {
        string safe = MlflowLimits.SanitizeKey(key ?? "");
        if (safe != key) this.reporter.Warning($"The {kind} name '{MlflowClient.Shorten(key ?? "", 80)}' is not a valid MLflow key (letters, digits, _ - . space / :, at most {MlflowLimits.MaxKeyLength} characters); it is logged as '{safe}'.");
        return safe;
    }

    private string Value(string key, string value, int max, string kind)
    {
        if (value.Length <= max) return value;
        this.reporter.Warning(string.Create(CultureInfo.InvariantCulture,
            $"The {kind} '{key}' is {value.Length} characters long; MLflow keeps at most {max}, so it is logged shortened to {max}."));
        return value[..(max - 3)] + "...";
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Sanitize(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}

/// <summary>How the end of a run left the server (<see cref="RunRecorder.Outcome"/>).</summary>
public enum FlushOutcome
{
    /// <summary>Everything reached the server (or there is no server).</summary>
    Sent,
    /// <summary>The server refused every connection since the run started: not waited for; the journal keeps it all.</summary>
    Unreachable,
    /// <summary>The server refused a request for good (e.g. 401): not retried; the journal keeps the rest.</summary>
    Stopped,
    /// <summary>The flush timeout passed with items still queued (the server was lost or is slow).</summary>
    TimedOut,
}

/// <summary>Passes messages on with every configured secret replaced by ***.</summary>
internal sealed class ScrubbingReporter(IReporter inner, TrackingSettings settings) : IReporter
{
    public void Progress(ProgressInfo progress) => inner.Progress(progress);
    public void Warning(string message) => inner.Warning(settings.Scrub(message));
    public void Verbose(string message) => inner.Verbose(settings.Scrub(message));
}
