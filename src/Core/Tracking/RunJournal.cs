using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>One line of journal.jsonl: a sequence number, when it was written, what happened and its data.</summary>
public sealed record JournalEvent(long Seq, DateTimeOffset Time, string Type, JsonObject Data);

/// <summary>
/// The run's append-only journal (journal.jsonl next to result.json): every param, metric, tag, artifact and status
/// change as one JSON line with a sequence number, written and flushed as it happens, followed by
/// <c>server</c> lines (the run exists on a server) and <c>ack</c> lines (which sequence numbers that server
/// acknowledged). Never holds credentials. Thread-safe.
/// </summary>
public sealed class RunJournal : IDisposable
{
    public const string FileName = Runs.RunFiles.Journal;

    // Event types.
    public const string RunType = "run";
    public const string ParamsType = "params";
    public const string TagsType = "tags";
    public const string MetricsType = "metrics";
    public const string ArtifactsType = "artifacts";
    public const string StatusType = "status";
    public const string ServerType = "server";
    public const string AckType = "ack";

    private readonly Lock gate = new();
    private readonly List<JournalEvent> events;
    private FileStream? stream;
    private long seq;

    private RunJournal(string? path, List<JournalEvent> events, FileStream? stream)
    {
        Path = path;
        this.events = events;
        this.stream = stream;
        this.seq = events.Count == 0 ? 0 : events.Max(e => e.Seq);
    }

    /// <summary>The journal file, or null for a journal kept in memory (a run without an output folder).</summary>
    public string? Path { get; }

    /// <summary>Opens (or creates) the journal in <paramref name="folder"/> for appending; existing lines are read first.</summary>
    public static RunJournal Open(string folder, IReporter? reporter = null)
    {
        Directory.CreateDirectory(folder);
        string path = System.IO.Path.Combine(folder, FileName);
        List<JournalEvent> events;
        FileStream stream;
        try
        {
            // Only the folder's writer may cut: another process's live journal is never touched.
            if (File.Exists(path) && (!Runs.RunLock.IsHeld(folder, out var owner) || owner?.ProcessId == Environment.ProcessId)) DropTornTail(path, reporter);
            events = File.Exists(path) ? ReadFile(path, reporter).ToList() : [];
            stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            // A holder with an exclusive lock (FileShare.None: flock LOCK_EX on Linux, a share mode on Windows)
            // refuses the cut, the read or the open alike.
            throw new MnistCnnException(TrackingErrorIds.JournalInUse, ErrorKind.ResourceUnavailable,
                $"The run journal '{path}' cannot be opened for writing ({ex.Message}). Is the run still going, or another Publish-CnnRun working on it?", path, ex);
        }
        return new RunJournal(path, events, stream);
    }

    /// <summary>
    /// Cuts a last line that a killed writer left without its newline, so the next record starts on a line of its own
    /// instead of running into the torn one (each record is written with one write call, so only the last can be torn).
    /// </summary>
    private static void DropTornTail(string path, IReporter? reporter)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        long length = stream.Length;
        if (length == 0) return;
        stream.Seek(-1, SeekOrigin.End);
        if (stream.ReadByte() == '\n') return;
        long keep = length - 1;
        var one = new byte[1];
        while (keep > 0)
        {
            stream.Seek(keep - 1, SeekOrigin.Begin);
            stream.ReadExactly(one);
            if (one[0] == '\n') break;
            keep--;
        }
        stream.SetLength(keep);
        reporter?.Warning(string.Create(CultureInfo.InvariantCulture, $"The last line of '{path}' was cut off (its writer was killed); the {length - keep} bytes are dropped."));
    }

    /// <summary>A journal that lives only in memory.</summary>
    public static RunJournal InMemory() => new(null, [], null);

    /// <summary>A snapshot of every event so far.</summary>
    public IReadOnlyList<JournalEvent> Events
    {
        get { lock (gate) return this.events.ToArray(); }
    }

    /// <summary>Appends one event and flushes it to the file.</summary>
    public JournalEvent Append(string type, JsonObject data)
    {
        lock (gate)
        {
            var e = new JournalEvent(++this.seq, DateTimeOffset.UtcNow, type, data);
            if (this.stream is not null)
            {
                var line = new JsonObject
                {
                    ["seq"] = e.Seq,
                    ["time"] = e.Time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                    ["type"] = type,
                };
                foreach (var kv in data) line[kv.Key] = kv.Value?.DeepClone();
                byte[] bytes = Encoding.UTF8.GetBytes(line.ToJsonString() + "\n");
                this.stream.Write(bytes);
                this.stream.Flush();
            }
            this.events.Add(e);
            return e;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            this.stream?.Dispose();
            this.stream = null;
        }
    }

    /// <summary>Reads a journal file; a damaged line (e.g. the last one of a killed process) is skipped with a warning.</summary>
    public static IReadOnlyList<JournalEvent> ReadFile(string path, IReporter? reporter = null)
    {
        var events = new List<JournalEvent>();
        int lineNo = 0;
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonNode.Parse(line) is JsonObject o && MlflowClient.Long(o["seq"]) is { } seq && MlflowClient.Str(o["type"]) is { } type)
                {
                    var time = DateTimeOffset.TryParse(MlflowClient.Str(o["time"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;
                    o.Remove("seq");
                    o.Remove("time");
                    o.Remove("type");
                    events.Add(new JournalEvent(seq, time, type, o));
                    continue;
                }
            }
            catch (JsonException)
            {
                // reported below
            }
            reporter?.Warning(string.Create(CultureInfo.InvariantCulture, $"Line {lineNo} of '{path}' is not a journal event and is skipped."));
        }
        return events;
    }
}

/// <summary>An artifact the journal lists: a path relative to the run folder, its size and SHA-256.</summary>
public sealed record ArtifactRecord(string Path, long Size, string Sha256);

/// <summary>What a journal says about a run: identity, params, tags, metrics, artifacts, status and what reached which server.</summary>
public sealed class JournaledRun
{
    public string RunId { get; private set; } = "";
    public string RunName { get; private set; } = "";
    public string Experiment { get; private set; } = TrackingSettings.DefaultExperiment;
    public long StartTime { get; private set; }
    public string? ParentRunId { get; private set; }
    /// <summary>MLflow status: RUNNING until a status event says FINISHED, FAILED or KILLED.</summary>
    public string Status { get; private set; } = "RUNNING";
    public long? EndTime { get; private set; }
    public Dictionary<string, string> Params { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
    public List<MetricPoint> Metrics { get; } = [];
    public Dictionary<string, ArtifactRecord> Artifacts { get; } = new(StringComparer.Ordinal);
    /// <summary>Server (as <see cref="TrackingSettings.ServerDisplay"/>) to its run id and artifact URI.</summary>
    public Dictionary<string, (string ExperimentId, string RunId, string? ArtifactUri)> ServerRuns { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Server to the sequence numbers it acknowledged.</summary>
    public Dictionary<string, HashSet<long>> Acked { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Sequence numbers of the events that carry data for the server.</summary>
    public List<long> DataEvents { get; } = [];

    public bool HasRunEvent { get; private set; }

    public static bool IsDataEvent(string type) => type is RunJournal.ParamsType or RunJournal.TagsType or RunJournal.MetricsType or RunJournal.ArtifactsType or RunJournal.StatusType;

    /// <summary>Data events not yet acknowledged by <paramref name="server"/>.</summary>
    public int PendingCount(string server) =>
        Acked.TryGetValue(server, out var acked) ? DataEvents.Count(s => !acked.Contains(s)) : DataEvents.Count;

    public static JournaledRun From(IEnumerable<JournalEvent> events)
    {
        var run = new JournaledRun();
        foreach (var e in events) run.Apply(e);
        return run;
    }

    public void Apply(JournalEvent e)
    {
        var d = e.Data;
        if (IsDataEvent(e.Type)) DataEvents.Add(e.Seq);
        switch (e.Type)
        {
            case RunJournal.RunType when !HasRunEvent:
                HasRunEvent = true;
                RunId = MlflowClient.Str(d["run_id"]) ?? "";
                RunName = MlflowClient.Str(d["run_name"]) ?? RunId;
                Experiment = MlflowClient.Str(d["experiment"]) ?? TrackingSettings.DefaultExperiment;
                StartTime = MlflowClient.Long(d["start_time"]) ?? 0;
                ParentRunId = MlflowClient.Str(d["parent_run_id"]);
                break;
            case RunJournal.ParamsType:
                foreach (var kv in d["params"] as JsonObject ?? [])
                {
                    Params.TryAdd(kv.Key, MlflowClient.Str(kv.Value) ?? "");
                }
                break;
            case RunJournal.TagsType:
                foreach (var kv in d["tags"] as JsonObject ?? [])
                {
                    Tags[kv.Key] = MlflowClient.Str(kv.Value) ?? "";
                }
                break;
            case RunJournal.MetricsType:
                foreach (var m in d["metrics"] as JsonArray ?? [])
                {
                    if (MlflowClient.ParseMetric(m) is { } p) Metrics.Add(p);
                }
                break;
            case RunJournal.ArtifactsType:
                foreach (var a in d["artifacts"] as JsonArray ?? [])
                {
                    if (MlflowClient.Str(a?["path"]) is { } path)
                    {
                        Artifacts[path] = new ArtifactRecord(path, MlflowClient.Long(a?["size"]) ?? -1, MlflowClient.Str(a?["sha256"]) ?? "");
                    }
                }
                break;
            case RunJournal.StatusType:
                Status = MlflowClient.Str(d["status"]) ?? Status;
                EndTime = MlflowClient.Long(d["end_time"]);
                break;
            case RunJournal.ServerType:
                if (MlflowClient.Str(d["server"]) is { } server && MlflowClient.Str(d["server_run_id"]) is { } rid)
                {
                    // A different server run (the old one was deleted): its acknowledgements no longer count.
                    if (ServerRuns.TryGetValue(server, out var old) && old.RunId != rid) Acked.Remove(server);
                    ServerRuns[server] = (MlflowClient.Str(d["experiment_id"]) ?? "", rid, MlflowClient.Str(d["artifact_uri"]));
                }
                break;
            case RunJournal.AckType:
                if (MlflowClient.Str(d["server"]) is { } s &&
                    (!ServerRuns.TryGetValue(s, out var current) || current.RunId == MlflowClient.Str(d["server_run_id"])))
                {
                    if (!Acked.TryGetValue(s, out var set)) Acked[s] = set = [];
                    foreach (var a in d["acked"] as JsonArray ?? [])
                    {
                        if (MlflowClient.Long(a) is { } seq) set.Add(seq);
                    }
                }
                break;
            default:
                break;
        }
    }
}
