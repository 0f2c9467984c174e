using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>How many items one synchronisation sent and how many the server already had.</summary>
public sealed class SyncCounts
{
    public int Params { get; internal set; }
    public int Metrics { get; internal set; }
    public int Tags { get; internal set; }
    public int Artifacts { get; internal set; }
    /// <summary>Items not sent because the server already had them.</summary>
    public int AlreadyThere { get; internal set; }
    /// <summary>Items the server refused (4xx) or that could not be sent (missing file, unsupported artifact store).</summary>
    public int Refused { get; internal set; }
}

/// <summary>
/// Brings one journaled run onto one MLflow server: finds it there by the tag mnistcnn.run_id (or creates it), then
/// sends every journal event that server has not acknowledged, and journals the acknowledgements. With
/// <c>reconcile</c> (publishing, or after a failure whose outcome is unknown) it first reads what the server has
/// and sends only what is missing: params by key, tags by value, metrics by key + step + timestamp, artifacts by
/// path + size. Transient failures propagate (the caller backs off and calls again); 4xx answers are reported
/// through the reporter and never retried.
/// </summary>
internal sealed class RunSynchronizer
{
    public const string RunIdTag = "mnistcnn.run_id";
    public const string ParentRunIdTag = "mlflow.parentRunId";

    private readonly MlflowClient client;
    private readonly TrackingSettings settings;
    private readonly RunJournal journal;
    private readonly IReporter reporter;
    private readonly string? folder;
    private readonly string? experimentOverride;
    private readonly string server;
    private readonly HashSet<long> rejected = [];
    private string? experimentId;
    private string? serverRunId;
    private string? artifactRoot;
    private bool artifactWarned;
    private bool parentLinked;
    private bool reconcile;
    private bool recheckAll;

    // recheckAll: check every journal event against the server, acknowledged or not (Publish-CnnRun -Force).
    public RunSynchronizer(MlflowClient client, TrackingSettings settings, RunJournal journal, IReporter reporter, string? folder,
        bool reconcile, string? experimentOverride = null, bool recheckAll = false)
    {
        this.recheckAll = recheckAll;
        this.client = client;
        this.settings = settings;
        this.journal = journal;
        this.reporter = reporter;
        this.folder = folder;
        this.reconcile = reconcile;
        this.experimentOverride = experimentOverride;
        this.server = settings.ServerDisplay;
    }

    public string? ServerRunId => serverRunId;
    public string? ExperimentId => experimentId;
    public SyncCounts Counts { get; } = new();
    /// <summary>True when this synchroniser created the server run (false: it was found there).</summary>
    public bool Created { get; private set; }

    /// <summary>Data events neither acknowledged by the server nor refused by it in this session.</summary>
    public int PendingCount
    {
        get
        {
            var run = JournaledRun.From(this.journal.Events);
            var acked = run.Acked.GetValueOrDefault(this.server);
            return run.DataEvents.Count(s => (acked is null || !acked.Contains(s)) && !rejected.Contains(s));
        }
    }

    public async Task SyncAsync(CancellationToken ct)
    {
        try
        {
            await SyncCoreAsync(ct);
            this.reconcile = false;
            this.recheckAll = false;
        }
        catch (MlflowApiException ex) when (ex.IsTransient)
        {
            this.reconcile = true; // a request may have been applied without us hearing back
            throw;
        }
        catch (OperationCanceledException)
        {
            this.reconcile = true;
            throw;
        }
    }

    private async Task SyncCoreAsync(CancellationToken ct)
    {
        var run = JournaledRun.From(this.journal.Events);
        if (!run.HasRunEvent)
        {
            throw new MnistCnnException(TrackingErrorIds.JournalInvalid, ErrorKind.InvalidData,
                $"The journal {this.journal.Path ?? "(in memory)"} has no run event; it was not written by MnistCnn.", this.journal.Path);
        }
        ServerRun? remote = await EnsureRunAsync(run, ct);
        var events = this.journal.Events;
        run = JournaledRun.From(events);
        var acked = this.recheckAll ? [] : run.Acked.GetValueOrDefault(this.server) ?? [];
        var pending = events.Where(e => JournaledRun.IsDataEvent(e.Type) && !acked.Contains(e.Seq) && !rejected.Contains(e.Seq)).ToList();
        bool statusPending = pending.Any(e => e.Type == RunJournal.StatusType);
        if (pending.Count == 0 && (parentLinked || run.ParentRunId is null || !this.reconcile)) return;

        // What the server already has (only when its state is uncertain).
        var history = new Dictionary<string, HashSet<(long Step, long Timestamp)>>(StringComparer.Ordinal);
        if (this.reconcile)
        {
            remote ??= await this.client.GetRunAsync(serverRunId!, ct);
            if (remote is null)
            {
                // The run vanished from the server (deleted, database reset): create it afresh.
                serverRunId = null;
                remote = await EnsureRunAsync(run, ct, ignoreJournal: true);
                events = this.journal.Events;
                pending = events.Where(e => JournaledRun.IsDataEvent(e.Type) && !rejected.Contains(e.Seq)).ToList();
            }
            foreach (var key in pending.Where(e => e.Type == RunJournal.MetricsType).SelectMany(MetricsOf).Select(m => m.Key).Distinct(StringComparer.Ordinal))
            {
                history[key] = (await this.client.GetMetricHistoryAsync(serverRunId!, key, ct)).Select(p => (p.Step, p.Timestamp)).ToHashSet();
            }
        }

        var extraTags = new List<KeyValuePair<string, string>>();
        if (run.ParentRunId is { } parentId && !parentLinked && (this.reconcile || statusPending))
        {
            var parent = await FindRunAsync(parentId, ct);
            if (parent is not null)
            {
                parentLinked = true;
                if (remote is null || !remote.Tags.TryGetValue(ParentRunIdTag, out var p) || p != parent.RunId) extraTags.Add(new(ParentRunIdTag, parent.RunId));
            }
        }

        await SendBatchesAsync(pending, remote, history, extraTags, ct);
        await SendArtifactsAsync(pending.Where(e => e.Type == RunJournal.ArtifactsType).ToList(), ct);
        foreach (var e in pending.Where(e => e.Type == RunJournal.StatusType))
        {
            string status = MlflowClient.Str(e.Data["status"]) ?? "RUNNING";
            long? end = MlflowClient.Long(e.Data["end_time"]);
            try
            {
                await this.client.UpdateRunAsync(serverRunId!, status, end, ct);
                Ack([e.Seq]);
            }
            catch (MlflowApiException ex) when (!ex.IsTransient)
            {
                Refuse([e.Seq], ex.Message, 1);
            }
        }
    }

    // ---------------------------------------------------------------- run identity

    private async Task<ServerRun?> EnsureRunAsync(JournaledRun run, CancellationToken ct, bool ignoreJournal = false)
    {
        if (serverRunId is not null) return null;
        bool experimentMatches = this.experimentOverride is null || this.experimentOverride == run.Experiment;
        if (!ignoreJournal && experimentMatches && run.ServerRuns.TryGetValue(this.server, out var known))
        {
            if (!this.reconcile)
            {
                (experimentId, serverRunId) = (known.ExperimentId, known.RunId);
                SetArtifactRoot(known.ArtifactUri);
                return null;
            }
            var remote = await this.client.GetRunAsync(known.RunId, ct);
            if (remote is not null)
            {
                (experimentId, serverRunId) = (remote.ExperimentId, remote.RunId);
                SetArtifactRoot(remote.ArtifactUri);
                return remote;
            }
        }

        experimentId = await this.client.GetOrCreateExperimentAsync(this.experimentOverride ?? run.Experiment, ct);
        var found = await FindRunAsync(run.RunId, ct);
        ServerRun? result = null;
        if (found is not null)
        {
            this.reconcile = true; // it is there already: complete it, do not duplicate
            result = await this.client.GetRunAsync(found.RunId, ct) ?? found;
        }
        else
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [RunIdTag] = run.RunId,
                ["mlflow.runName"] = run.RunName,
                ["mlflow.user"] = run.Tags.GetValueOrDefault("mlflow.user") ?? this.settings.User,
            };
            if (run.ParentRunId is { } parentId && await FindRunAsync(parentId, ct) is { } parent)
            {
                tags[ParentRunIdTag] = parent.RunId;
                parentLinked = true;
            }
            found = await this.client.CreateRunAsync(experimentId, run.RunName, run.StartTime, tags["mlflow.user"], tags, ct);
            Created = true;
        }
        serverRunId = found.RunId;
        SetArtifactRoot(found.ArtifactUri);
        this.journal.Append(RunJournal.ServerType, new JsonObject
        {
            ["server"] = this.server,
            ["experiment_id"] = experimentId,
            ["server_run_id"] = serverRunId,
            ["artifact_uri"] = found.ArtifactUri,
        });
        this.reporter.Verbose($"Run {run.RunId} is run {serverRunId} in experiment '{this.experimentOverride ?? run.Experiment}' ({experimentId}) on {this.server}.");
        return result;
    }

    private async Task<ServerRun?> FindRunAsync(string runId, CancellationToken ct)
    {
        experimentId ??= await this.client.GetOrCreateExperimentAsync(this.experimentOverride ?? JournaledRun.From(this.journal.Events).Experiment, ct);
        string filter = "tags.`" + RunIdTag + "` = '" + runId.Replace("'", "\\'", StringComparison.Ordinal) + "'";
        var runs = await this.client.SearchRunsAsync([experimentId], filter, ct);
        if (runs.Count > 1)
        {
            string message = $"{runs.Count} runs on {this.server} carry {RunIdTag} = {runId}; using the earliest ({string.Join(", ", runs.Select(r => r.RunId))}).";
            // A sweep's parent can have short-lived duplicates while tasks that started together elect one (SweepParent).
            if (runId.StartsWith(SweepParent.RunIdFor(""), StringComparison.Ordinal)) this.reporter.Verbose(message);
            else this.reporter.Warning(message);
        }
        return runs.OrderBy(r => r.StartTime ?? long.MaxValue).ThenBy(r => r.RunId, StringComparer.Ordinal).FirstOrDefault();
    }

    private void SetArtifactRoot(string? artifactUri)
    {
        artifactRoot = MlflowClient.ProxiedArtifactRoot(artifactUri);
    }

    // ---------------------------------------------------------------- params, tags, metrics

    private sealed record Item(long Seq, string Kind, string Key, string Value, MetricPoint? Metric, int Bytes);

    private async Task SendBatchesAsync(List<JournalEvent> pending, ServerRun? remote,
        Dictionary<string, HashSet<(long Step, long Timestamp)>> history, List<KeyValuePair<string, string>> extraTags, CancellationToken ct)
    {
        var items = new List<Item>();
        var paramsSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        var tagLast = new Dictionary<string, Item>(StringComparer.Ordinal);
        var metricsSeen = new HashSet<(string, long, long)>();

        foreach (var e in pending.Where(e => e.Type is RunJournal.ParamsType or RunJournal.TagsType or RunJournal.MetricsType))
        {
            if (e.Type == RunJournal.ParamsType)
            {
                foreach (var kv in e.Data["params"] as JsonObject ?? [])
                {
                    string value = MlflowClient.Str(kv.Value) ?? "";
                    if (remote is not null && remote.Params.TryGetValue(kv.Key, out var there))
                    {
                        if (there != value)
                        {
                            this.reporter.Warning($"Param '{kv.Key}' is already on {this.server} with value '{MlflowClient.Shorten(there, 100)}'; the journal's '{MlflowClient.Shorten(value, 100)}' is not sent (MLflow params are write-once).");
                            Counts.Refused++;
                        }
                        else
                        {
                            Counts.AlreadyThere++;
                        }
                        continue;
                    }
                    if (!paramsSeen.TryAdd(kv.Key, value)) continue;
                    items.Add(new Item(e.Seq, "param", kv.Key, value, null, JsonSize(kv.Key) + JsonSize(value) + 24));
                }
            }
            else if (e.Type == RunJournal.TagsType)
            {
                foreach (var kv in e.Data["tags"] as JsonObject ?? [])
                {
                    string value = MlflowClient.Str(kv.Value) ?? "";
                    if (remote is not null && remote.Tags.TryGetValue(kv.Key, out var there) && there == value)
                    {
                        tagLast.Remove(kv.Key);
                        Counts.AlreadyThere++;
                        continue;
                    }
                    tagLast[kv.Key] = new Item(e.Seq, "tag", kv.Key, value, null, JsonSize(kv.Key) + JsonSize(value) + 24);
                }
            }
            else
            {
                foreach (var m in MetricsOf(e))
                {
                    if (history.TryGetValue(m.Key, out var seen) && seen.Contains((m.Step, m.Timestamp)))
                    {
                        Counts.AlreadyThere++;
                        continue;
                    }
                    if (!metricsSeen.Add((m.Key, m.Step, m.Timestamp))) continue;
                    items.Add(new Item(e.Seq, "metric", m.Key, "", m, JsonSize(m.Key) + 90));
                }
            }
        }
        items.AddRange(tagLast.Values);
        items.AddRange(extraTags.Select(kv => new Item(-1, "tag", kv.Key, kv.Value, null, JsonSize(kv.Key) + JsonSize(kv.Value) + 24)));

        // Events whose items were all there already (or superseded): acknowledged now.
        var withItems = items.Select(i => i.Seq).ToHashSet();
        var nothingToSend = pending.Where(e => e.Type is RunJournal.ParamsType or RunJournal.TagsType or RunJournal.MetricsType && !withItems.Contains(e.Seq)).Select(e => e.Seq).ToList();
        if (nothingToSend.Count > 0) Ack(nothingToSend);
        if (items.Count == 0) return;

        // Pack into log-batch calls within MLflow's limits.
        var chunks = new List<List<Item>>();
        var current = new List<Item>();
        int metrics = 0, parameters = 0, tags = 0, bytes = 0;
        foreach (var item in items)
        {
            bool full = current.Count >= MlflowLimits.MaxBatchItems || bytes + item.Bytes > MlflowLimits.MaxBatchBytes ||
                (item.Kind == "metric" && metrics >= MlflowLimits.MaxBatchMetrics) ||
                (item.Kind == "param" && parameters >= MlflowLimits.MaxBatchParams) ||
                (item.Kind == "tag" && tags >= MlflowLimits.MaxBatchTags);
            if (full && current.Count > 0)
            {
                chunks.Add(current);
                current = [];
                metrics = parameters = tags = bytes = 0;
            }
            current.Add(item);
            bytes += item.Bytes;
            _ = item.Kind switch { "metric" => metrics++, "param" => parameters++, _ => tags++ };
        }
        if (current.Count > 0) chunks.Add(current);

        var lastChunk = new Dictionary<long, int>();
        for (int i = 0; i < chunks.Count; i++)
        {
            foreach (var item in chunks[i]) lastChunk[item.Seq] = i;
        }
        var failed = new HashSet<long>();
        for (int i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i];
            try
            {
                await this.client.LogBatchAsync(serverRunId!,
                    chunk.Where(c => c.Metric is not null).Select(c => c.Metric!).ToList(),
                    chunk.Where(c => c.Kind == "param").Select(c => new KeyValuePair<string, string>(c.Key, c.Value)).ToList(),
                    chunk.Where(c => c.Kind == "tag").Select(c => new KeyValuePair<string, string>(c.Key, c.Value)).ToList(), ct);
                Counts.Metrics += chunk.Count(c => c.Kind == "metric");
                Counts.Params += chunk.Count(c => c.Kind == "param");
                Counts.Tags += chunk.Count(c => c.Kind == "tag" && c.Seq >= 0);
            }
            catch (MlflowApiException ex) when (!ex.IsTransient)
            {
                var seqs = chunk.Select(c => c.Seq).Where(s => s >= 0).Distinct().ToList();
                failed.UnionWith(seqs);
                Refuse(seqs, ex.Message, chunk.Count);
            }
            var done = lastChunk.Where(kv => kv.Value == i && kv.Key >= 0 && !failed.Contains(kv.Key)).Select(kv => kv.Key).ToList();
            if (done.Count > 0) Ack(done);
        }
    }

    private static IEnumerable<MetricPoint> MetricsOf(JournalEvent e) =>
        (e.Data["metrics"] as JsonArray ?? []).Select(MlflowClient.ParseMetric).OfType<MetricPoint>();

    private static int JsonSize(string s) => Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(s));

    // ---------------------------------------------------------------- artifacts

    private async Task SendArtifactsAsync(List<JournalEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        if (artifactRoot is null)
        {
            if (!artifactWarned)
            {
                artifactWarned = true;
                string uri = JournaledRun.From(this.journal.Events).ServerRuns.GetValueOrDefault(this.server).ArtifactUri ?? "(none)";
                this.reporter.Warning($"The server {this.server} stores this run's artifacts at '{uri}', which MnistCnn cannot upload to " +
                    "(only the server's proxied artifact store, mlflow-artifacts:, is supported: start the server with --serve-artifacts, the default). " +
                    "Params and metrics are logged; the artifacts stay in the run folder.");
            }
            foreach (var e in events) rejected.Add(e.Seq);
            Counts.Refused += events.Sum(e => (e.Data["artifacts"] as JsonArray)?.Count ?? 0);
            return;
        }
        var listings = new Dictionary<string, Dictionary<string, ArtifactEntry>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            try
            {
                foreach (var a in e.Data["artifacts"] as JsonArray ?? [])
                {
                    string? path = MlflowClient.Str(a?["path"]);
                    if (path is null) continue;
                    long size = MlflowClient.Long(a?["size"]) ?? -1;
                    string? file = this.folder is null ? null : Path.Combine(this.folder, path.Replace('/', Path.DirectorySeparatorChar));
                    if (file is null || !File.Exists(file))
                    {
                        this.reporter.Warning($"Artifact '{path}' is no longer in the run folder {this.folder ?? "(none)"}; it is not uploaded.");
                        Counts.Refused++;
                        continue;
                    }
                    if (this.reconcile)
                    {
                        string dir = path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : "";
                        if (!listings.TryGetValue(dir, out var listing))
                        {
                            listing = (await this.client.ListArtifactsAsync(artifactRoot, dir, ct)).ToDictionary(x => x.Name, StringComparer.Ordinal);
                            listings[dir] = listing;
                        }
                        string name = path[(path.LastIndexOf('/') + 1)..];
                        if (listing.TryGetValue(name, out var there) && !there.IsDirectory && (there.Size is null || there.Size == new FileInfo(file).Length))
                        {
                            Counts.AlreadyThere++;
                            continue;
                        }
                    }
                    await this.client.UploadArtifactAsync(artifactRoot, path, file, ct);
                    Counts.Artifacts++;
                    if (size >= 0 && new FileInfo(file).Length != size)
                    {
                        this.reporter.Verbose($"Artifact '{path}' changed since it was journaled; its current content was uploaded.");
                    }
                }
                Ack([e.Seq]);
            }
            catch (MlflowApiException ex) when (!ex.IsTransient)
            {
                Refuse([e.Seq], ex.Message, 1);
            }
        }
    }

    // ---------------------------------------------------------------- journal bookkeeping

    private void Ack(IReadOnlyCollection<long> seqs)
    {
        this.journal.Append(RunJournal.AckType, new JsonObject
        {
            ["server"] = this.server,
            ["server_run_id"] = serverRunId,
            ["acked"] = new JsonArray(seqs.OrderBy(s => s).Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
        });
    }

    private void Refuse(IReadOnlyCollection<long> seqs, string message, int items)
    {
        foreach (var s in seqs) rejected.Add(s);
        Counts.Refused += items;
        this.reporter.Warning(this.settings.Scrub(string.Create(CultureInfo.InvariantCulture,
            $"{message} {items} item(s) (journal events {string.Join(", ", seqs)}) were not logged and are not retried; they stay in the journal.")));
    }
}
