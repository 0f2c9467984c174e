using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// What publishing one run folder did. <see cref="Outcome"/>: Created (new on the server), Completed (it was there;
/// missing items added), UpToDate (nothing to send), Failed (<see cref="Error"/> says why). <see cref="Pending"/>:
/// journal events the server still has not acknowledged.
/// </summary>
public sealed record PublishResult(
    string Folder,
    string RunId,
    string RunName,
    string Server,
    string Experiment,
    string? ServerRunId,
    string Outcome,
    int ParamsSent,
    int MetricsSent,
    int TagsSent,
    int ArtifactsSent,
    int AlreadyThere,
    int Refused,
    int Pending,
    string? Error);

/// <summary>
/// Replays journaled runs to an MLflow server, idempotently: a run already there (found by its mnistcnn.run_id tag)
/// is completed (missing params, metrics, tags and artifacts added, status and end time set), never duplicated.
/// Runs whose journal says the server has everything are skipped unless <c>force</c> is given.
/// </summary>
public sealed class RunPublisher : IDisposable
{
    private readonly TrackingSettings settings;
    private readonly IReporter reporter;
    private readonly string? experimentOverride;
    private readonly MlflowClient client;

    /// <param name="settings">The target server (must be http/https).</param>
    /// <param name="reporter">Where warnings go.</param>
    /// <param name="experimentOverride">Publish into this experiment instead of the one each journal names.</param>
    public RunPublisher(TrackingSettings settings, IReporter? reporter = null, string? experimentOverride = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.IsRemote)
        {
            throw new MnistCnnException(TrackingErrorIds.TrackingUriMissing, ErrorKind.InvalidArgument,
                "No MLflow tracking server to publish to: give -TrackingUri http://host:port or set MLFLOW_TRACKING_URI (http or https).");
        }
        this.settings = settings;
        this.reporter = new ScrubbingReporter(reporter ?? NullReporter.Instance, settings);
        this.experimentOverride = experimentOverride;
        client = new MlflowClient(settings);
    }

    /// <summary>
    /// The run folders at or below <paramref name="path"/> (every folder holding journal.jsonl): parents (sweeps)
    /// before their children, then by path.
    /// </summary>
    public static IReadOnlyList<string> FindRunFolders(string path)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full) && Path.GetFileName(full) == RunJournal.FileName) full = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(full))
        {
            throw new MnistCnnException(TrackingErrorIds.RunFolderNotFound, ErrorKind.ObjectNotFound, $"The run folder '{full}' does not exist.", full);
        }
        var folders = Directory.EnumerateFiles(full, RunJournal.FileName, SearchOption.AllDirectories)
            .Select(f => Path.GetDirectoryName(f)!)
            .Order(StringComparer.Ordinal)
            .ToList();
        var parentIds = new HashSet<string>(StringComparer.Ordinal);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in folders)
        {
            var run = JournaledRun.From(RunJournal.ReadFile(Path.Combine(f, RunJournal.FileName)));
            ids[f] = run.RunId;
            if (run.ParentRunId is { } p) parentIds.Add(p);
        }
        return folders.OrderBy(f => parentIds.Contains(ids[f]) ? 0 : 1).ThenBy(f => f, StringComparer.Ordinal).ToList();
    }

    /// <summary>Publishes one run folder. Never throws for server trouble: the result says what happened.</summary>
    public PublishResult Publish(string folder, bool force = false, CancellationToken cancellationToken = default) =>
        PublishAsync(folder, force, cancellationToken).GetAwaiter().GetResult();

    public async Task<PublishResult> PublishAsync(string folder, bool force = false, CancellationToken cancellationToken = default)
    {
        folder = Path.GetFullPath(folder);
        if (!File.Exists(Path.Combine(folder, RunJournal.FileName)))
        {
            throw new MnistCnnException(TrackingErrorIds.RunJournalNotFound, ErrorKind.ObjectNotFound,
                $"'{folder}' has no {RunJournal.FileName}: it is not a MnistCnn run folder (or the run was trained without an output folder).", folder);
        }
        // A run being trained (or published by another process) is still writing its journal and files: publishing
        // takes the folder's lock, so it never reads them half-written and never appends beside another writer.
        if (!Runs.RunLock.TryAcquire(folder, "publishing", out var folderLock, out var owner))
        {
            throw Runs.RunLock.InUse(folder, owner,
                "A run folder is published when nothing else writes it: wait for that run to end (or stop it; its checkpoint is kept), then run Publish-CnnRun again; it sends only what is not on the server yet.");
        }
        using var heldLock = folderLock;
        using var journal = RunJournal.Open(folder, this.reporter);
        var run = JournaledRun.From(journal.Events);
        if (!run.HasRunEvent)
        {
            throw new MnistCnnException(TrackingErrorIds.JournalInvalid, ErrorKind.InvalidData, $"The journal in '{folder}' has no run event; it was not written by MnistCnn.", folder);
        }
        string experiment = this.experimentOverride ?? run.Experiment;

        // Files written after the run ended (pictures, result.json) are journaled now.
        var fresh = RunRecorder.NewArtifacts(run, folder, RunRecorder.StandardArtifacts(folder), this.reporter);
        if (fresh.Count > 0)
        {
            journal.Append(RunJournal.ArtifactsType, new System.Text.Json.Nodes.JsonObject { ["artifacts"] = fresh });
            run = JournaledRun.From(journal.Events);
        }

        string server = this.settings.ServerDisplay;
        bool known = run.ServerRuns.TryGetValue(server, out var onServer) && (this.experimentOverride is null || this.experimentOverride == run.Experiment);
        if (!force && known && run.PendingCount(server) == 0)
        {
            return new PublishResult(folder, run.RunId, run.RunName, server, experiment, onServer.RunId, "UpToDate", 0, 0, 0, 0, 0, 0, 0, null);
        }
        if (run.Status == "RUNNING")
        {
            this.reporter.Warning($"Run {run.RunId} in '{folder}' has no end record (still running, or its process died); it is published with status RUNNING.");
        }

        var sync = new RunSynchronizer(client, this.settings, journal, this.reporter, folder, reconcile: true, this.experimentOverride, recheckAll: force);
        string? error = null;
        try
        {
            await sync.SyncAsync(cancellationToken);
        }
        catch (MlflowApiException ex)
        {
            error = ex.Message;
        }
        int pending = sync.PendingCount;
        var c = sync.Counts;
        string outcome = error is not null ? "Failed" : sync.Created ? "Created" : c.Params + c.Metrics + c.Tags + c.Artifacts > 0 || pending < run.PendingCount(server) ? "Completed" : "UpToDate";
        return new PublishResult(folder, run.RunId, run.RunName, server, experiment, sync.ServerRunId, outcome,
            c.Params, c.Metrics, c.Tags, c.Artifacts, c.AlreadyThere, c.Refused, pending, error);
    }

    public void Dispose() => client.Dispose();
}
