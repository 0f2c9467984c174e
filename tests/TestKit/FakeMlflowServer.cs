using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Tracking;

namespace MnistCnn.TestKit;

/// <summary>
/// An in-process MLflow 2.x tracking server on 127.0.0.1 (a small TcpListener-based HTTP/1.1 server on a free port) that behaves like the real one
/// where the client depends on it: error shapes, log-batch limits, write-once params, metric validation, omitted
/// empty lists, paging with next_page_token, JSON content type, auth, HTML 404 for unknown routes, and the
/// proxied artifact store. Faults on demand: down (connections cut, new ones refused), N failures with a status and
/// Retry-After, responses dropped after the request was applied (lost acknowledgements), latency per route.
/// Learnt from a real MLflow 2.17.2 server (sqlite store): runs/create keeps the client's start_time (0 when none
/// is sent, never the server's clock), runs/delete hides a run from runs/search (ACTIVE_ONLY) and makes writes to
/// it fail with INVALID_PARAMETER_VALUE, and keys follow ^[/\w.\- :]*$ plus a normalised-path rule with the
/// server's own messages.
/// </summary>
internal sealed class FakeMlflowServer : IDisposable
{
    private TcpListener listener;
    private readonly ConcurrentDictionary<TcpClient, bool> connections = new();
    private readonly CancellationTokenSource stop = new();
    private bool down;
    private readonly Lock gate = new();
    private readonly List<FakeExperiment> experiments = [new("0", "Default", "mlflow-artifacts:/0")];
    private readonly List<FakeRun> runs = [];
    private readonly Queue<(string? Route, int Status, string Code, string? RetryAfter)> failures = new();
    private readonly Dictionary<string, int> drops = new(StringComparer.Ordinal);
    private readonly Task loop;
    private int nextExperiment = 1;

    public FakeMlflowServer(int pageSize = 1000, string? token = null, string? user = null, string? password = null)
    {
        PageSize = pageSize;
        Token = token;
        User = user;
        Password = password;
        this.listener = new TcpListener(IPAddress.Loopback, 0);
        this.listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        this.listener.Start();
        Port = ((IPEndPoint)this.listener.LocalEndpoint).Port;
        loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public Uri Uri => new($"http://127.0.0.1:{Port}/");
    public int PageSize { get; set; }
    public string? Token { get; }
    public string? User { get; }
    public string? Password { get; }
    /// <summary>When true the server is gone: open connections are cut and new ones refused.</summary>
    public bool Down
    {
        get => this.down;
        set
        {
            lock (gate)
            {
                if (value == this.down) return;
                this.down = value;
                if (value)
                {
                    this.listener.Stop();
                    foreach (var c in this.connections.Keys) c.Close();
                }
                else
                {
                    var listener = new TcpListener(IPAddress.Loopback, Port);
                    listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    listener.Start();
                    this.listener = listener;
                }
            }
        }
    }
    /// <summary>Artifact root of experiments created from now on ({0} = experiment id).</summary>
    public string ArtifactLocationFormat { get; set; } = "mlflow-artifacts:/{0}";
    /// <summary>How long requests to a route wait before they are applied (a slow server widens races between clients).</summary>
    public ConcurrentDictionary<string, TimeSpan> Latency { get; } = new(StringComparer.Ordinal);
    /// <summary>experiments/create creates the experiment, then answers RESOURCE_ALREADY_EXISTS (a concurrent creator won).</summary>
    public bool RaceOnCreate { get; set; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public IReadOnlyList<FakeRun> Runs
    {
        get { lock (gate) return this.runs.ToList(); }
    }

    public IReadOnlyList<FakeExperiment> Experiments
    {
        get { lock (gate) return this.experiments.ToList(); }
    }

    public FakeRun? RunByTag(string runId) => Runs.SingleOrDefault(r => r.Tags.GetValueOrDefault(RunSynchronizer.RunIdTag) == runId);

    /// <summary>The next <paramref name="count"/> requests (to <paramref name="route"/>, or any) fail with this status.</summary>
    public void FailNext(int count, int status, string code, string? retryAfter = null, string? route = null)
    {
        lock (gate)
        {
            for (int i = 0; i < count; i++) this.failures.Enqueue((route, status, code, retryAfter));
        }
    }

    /// <summary>The next <paramref name="count"/> requests to <paramref name="route"/> are applied, then the connection is aborted.</summary>
    public void DropResponses(string route, int count = 1)
    {
        lock (gate) drops[route] = count;
    }

    public void Dispose()
    {
        stop.Cancel();
        this.listener.Stop();
        foreach (var c in this.connections.Keys) c.Close();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await this.listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                if (stop.IsCancellationRequested) return;
                await Task.Delay(10); // stopped while down; wait to be started again
                continue;
            }
            this.connections[client] = true;
            _ = Task.Run(() => Serve(client));
        }
    }

    private void Serve(TcpClient client)
    {
        try
        {
            using var stream = client.GetStream();
            while (ReadRequest(stream) is { } req)
            {
                if (!Handle(req, stream)) break;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            this.connections.TryRemove(client, out _);
            client.Close();
        }
    }

    private static FakeRequest? ReadRequest(Stream stream)
    {
        string? requestLine = ReadLine(stream);
        if (string.IsNullOrEmpty(requestLine)) return null;
        var parts = requestLine.Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (ReadLine(stream) is { Length: > 0 } line)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var body = new MemoryStream();
        if (headers.TryGetValue("Content-Length", out var len))
        {
            CopyExactly(stream, body, long.Parse(len, CultureInfo.InvariantCulture));
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                long size = Convert.ToInt64(ReadLine(stream)!.Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    ReadLine(stream);
                    break;
                }
                CopyExactly(stream, body, size);
                ReadLine(stream);
            }
        }
        string target = parts[1];
        int q = target.IndexOf('?', StringComparison.Ordinal);
        return new FakeRequest(parts[0], q < 0 ? target : target[..q],
            System.Web.HttpUtility.ParseQueryString(q < 0 ? "" : target[(q + 1)..]), headers, body.ToArray());
    }

    private static void CopyExactly(Stream from, Stream to, long count)
    {
        var buffer = new byte[8192];
        while (count > 0)
        {
            int n = from.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0) throw new IOException("Connection closed mid-body.");
            to.Write(buffer, 0, n);
            count -= n;
        }
    }

    private static string? ReadLine(Stream stream)
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = stream.ReadByte();
            if (b < 0) return sb.Length == 0 ? null : sb.ToString();
            if (b == '\n') return sb.ToString().TrimEnd('\r');
            sb.Append((char)b);
        }
    }

    /// <summary>Answers one request; false when the connection must be cut.</summary>
    private bool Handle(FakeRequest req, Stream stream)
    {
        string path = Uri.UnescapeDataString(req.Path);
        byte[] raw = req.Body;
        string body = Encoding.UTF8.GetString(raw);
        string route = path.StartsWith("/api/2.0/mlflow/", StringComparison.Ordinal) ? path["/api/2.0/mlflow/".Length..]
            : path.StartsWith("/api/2.0/mlflow-artifacts/artifacts", StringComparison.Ordinal) ? "artifacts" : path;
        string? auth = req.Headers.GetValueOrDefault("Authorization");
        if (this.down)
        {
            Requests.Enqueue(new RecordedRequest(req.Method, route, 0, body, auth));
            return false;
        }
        int status;
        string text;
        string contentType = "application/json";
        string? retryAfterHeader = null;
        bool drop = false;
        if (Latency.TryGetValue(route, out var latency)) Thread.Sleep(latency);
        lock (gate)
        {
            var fail = this.failures.Count > 0 && (this.failures.Peek().Route is null || this.failures.Peek().Route == route) ? this.failures.Dequeue() : default;
            if (fail.Status != 0)
            {
                retryAfterHeader = fail.RetryAfter;
                (status, text) = Error(fail.Status, fail.Code, $"Injected failure {fail.Status}");
            }
            else if (!Authorized(auth))
            {
                (status, text) = Error(401, "UNAUTHENTICATED", "You are not authenticated. Please provide valid credentials.");
            }
            else
            {
                try
                {
                    (status, text, contentType) = RouteOrHtml(req, path, route, body, raw);
                }
                catch (FakeError e)
                {
                    (status, text) = Error(e.Status, e.Code, e.Message);
                }
                catch (Exception e) when (e is not NotFound)
                {
                    (status, text) = Error(500, "INTERNAL_ERROR", e.GetType().Name + ": " + e.Message);
                }
            }
            if (drops.TryGetValue(route, out int left) && left > 0)
            {
                drops[route] = left - 1;
                drop = true;
            }
        }
        Requests.Enqueue(new RecordedRequest(req.Method, route, drop ? 0 : status, body, auth));
        if (drop) return false; // applied, but the answer never arrives
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\n");
        if (retryAfterHeader is not null) head.Append(CultureInfo.InvariantCulture, $"Retry-After: {retryAfterHeader}\r\n");
        head.Append("\r\n");
        stream.Write(Encoding.ASCII.GetBytes(head.ToString()));
        stream.Write(bytes);
        stream.Flush();
        return true;
    }

    private bool Authorized(string? header)
    {
        if (Token is not null) return header == "Bearer " + Token;
        if (User is not null) return header == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));
        return true;
    }

    private static (int, string) Error(int status, string code, string message) =>
        (status, new JsonObject { ["error_code"] = code, ["message"] = message }.ToJsonString());

    private static readonly string NotFoundHtml =
        "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server.</p>\n";

    private (int, string, string) Route(FakeRequest req, string path, string route, string body, byte[] raw)
    {
        string method = req.Method;
        if (route == "artifacts") return Artifacts(req, path, raw);
        JsonObject? json = null;
        if (method == "POST")
        {
            if (req.Headers.GetValueOrDefault("Content-Type") is not { } ct || !ct.StartsWith("application/json", StringComparison.Ordinal))
            {
                throw new FakeError(400, "BAD_REQUEST", "Bad Request. Content-Type must be 'application/json'.");
            }
            if (Encoding.UTF8.GetByteCount(body) >= 1024 * 1024) throw new FakeError(400, "INVALID_PARAMETER_VALUE", "Request body too large.");
            try
            {
                json = JsonNode.Parse(body) as JsonObject ?? throw new FakeError(400, "MALFORMED_REQUEST", "Body is not an object.");
            }
            catch (JsonException e)
            {
                throw new FakeError(400, "MALFORMED_REQUEST", "Invalid JSON: " + e.Message);
            }
        }
        var q = req.Query;
        JsonObject result = (method, route) switch
        {
            ("GET", "experiments/get-by-name") => GetExperimentByName(q["experiment_name"]),
            ("POST", "experiments/create") => CreateExperiment(json!),
            ("POST", "runs/create") => CreateRun(json!),
            ("POST", "runs/update") => UpdateRun(json!),
            ("POST", "runs/log-batch") => LogBatch(json!),
            ("GET", "runs/get") => new JsonObject { ["run"] = RunJson(FindRun(q["run_id"]), true) },
            ("POST", "runs/delete") => DeleteRun(json!),
            ("POST", "runs/search") => SearchRuns(json!),
            ("GET", "metrics/get-history") => History(q["run_id"], q["metric_key"], q["max_results"], q["page_token"]),
            _ => throw new NotFound(),
        };
        return (200, result.ToJsonString(), "application/json");
    }

    private (int, string, string) RouteOrHtml(FakeRequest req, string path, string route, string body, byte[] raw)
    {
        try
        {
            return Route(req, path, route, body, raw);
        }
        catch (NotFound)
        {
            return (404, NotFoundHtml, "text/html; charset=utf-8");
        }
    }

    // ------------------------------------------------------------ experiments

    private JsonObject GetExperimentByName(string? name)
    {
        var e = this.experiments.FirstOrDefault(x => x.Name == name)
            ?? throw new FakeError(404, "RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'");
        return new JsonObject
        {
            ["experiment"] = new JsonObject { ["experiment_id"] = e.Id, ["name"] = e.Name, ["artifact_location"] = e.ArtifactLocation, ["lifecycle_stage"] = "active" },
        };
    }

    private JsonObject CreateExperiment(JsonObject body)
    {
        string name = Str(body["name"]) ?? throw new FakeError(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'.");
        if (this.experiments.Any(x => x.Name == name)) throw new FakeError(400, "RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists.");
        string id = (nextExperiment++).ToString(CultureInfo.InvariantCulture);
        this.experiments.Add(new FakeExperiment(id, name, string.Format(CultureInfo.InvariantCulture, ArtifactLocationFormat, id)));
        if (RaceOnCreate) throw new FakeError(400, "RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists.");
        return new JsonObject { ["experiment_id"] = id };
    }

    // ------------------------------------------------------------ runs

    private JsonObject CreateRun(JsonObject body)
    {
        string expId = Str(body["experiment_id"]) ?? "0";
        var exp = this.experiments.FirstOrDefault(x => x.Id == expId) ?? throw new FakeError(404, "RESOURCE_DOES_NOT_EXIST", $"No experiment {expId}");
        string id = Guid.NewGuid().ToString("N");
        var run = new FakeRun
        {
            RunId = id,
            ExperimentId = expId,
            Name = Str(body["run_name"]) ?? "run",
            StartTime = Long(body["start_time"]) ?? 0,
            UserId = Str(body["user_id"]) ?? "",
            ArtifactUri = exp.ArtifactLocation + "/" + id + "/artifacts",
        };
        foreach (var t in body["tags"] as JsonArray ?? [])
        {
            string key = ValidKey(Str(t?["key"]));
            run.Tags[key] = Cut(Str(t?["value"]) ?? "", MlflowLimits.MaxTagValueLength);
        }
        this.runs.Add(run);
        return new JsonObject { ["run"] = RunJson(run, true) };
    }

    private JsonObject DeleteRun(JsonObject body)
    {
        FindRun(Str(body["run_id"])).Deleted = true;
        return new JsonObject();
    }

    /// <summary>A run that can be written to: the real server refuses writes to deleted runs.</summary>
    private FakeRun ActiveRun(string? id)
    {
        var run = FindRun(id);
        if (run.Deleted) throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"The run {run.RunId} must be in the 'active' state. Current state is deleted.");
        return run;
    }

    private JsonObject UpdateRun(JsonObject body)
    {
        var run = ActiveRun(Str(body["run_id"]));
        string? status = Str(body["status"]);
        if (status is "RUNNING" or "SCHEDULED" or "FINISHED" or "FAILED" or "KILLED") run.Status = status; // unknown names: silently ignored
        if (Long(body["end_time"]) is { } end) run.EndTime = end;
        return new JsonObject { ["run_info"] = RunJson(run, false)!["info"]!.DeepClone() };
    }

    private JsonObject LogBatch(JsonObject body)
    {
        var run = ActiveRun(Str(body["run_id"]));
        var metrics = body["metrics"] as JsonArray ?? [];
        var parameters = body["params"] as JsonArray ?? [];
        var tags = body["tags"] as JsonArray ?? [];
        if (metrics.Count > 1000) throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"A batch logging request can contain at most 1000 metrics. Got {metrics.Count} metrics.");
        if (parameters.Count > 100) throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"A batch logging request can contain at most 100 params. Got {parameters.Count} params.");
        if (tags.Count > 100) throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"A batch logging request can contain at most 100 tags. Got {tags.Count} tags.");
        if (metrics.Count + parameters.Count + tags.Count > 1000) throw new FakeError(400, "INVALID_PARAMETER_VALUE", "A batch logging request can contain at most 1000 total items.");

        // Validate everything before applying anything.
        var newMetrics = new List<MetricPoint>();
        foreach (var m in metrics)
        {
            string key = ValidKey(Str(m?["key"]));
            double value = m?["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>()
                : m?["value"] is JsonValue s && s.GetValueKind() == JsonValueKind.String && Str(s) is "NaN" or "Infinity" or "-Infinity"
                    ? Str(s) switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, _ => double.NegativeInfinity }
                    : throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Got invalid value {m?["value"]?.ToJsonString()} for metric '{key}'");
            long timestamp = m?["timestamp"] is JsonValue tv && tv.GetValueKind() == JsonValueKind.Number && tv.TryGetValue(out long ts) ? ts
                : throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Missing or invalid timestamp for metric '{key}'");
            long step = m?["step"] is null ? 0 : m["step"] is JsonValue sv && sv.TryGetValue(out long st) ? st
                : throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Invalid step for metric '{key}'");
            newMetrics.Add(new MetricPoint(key, value, step, timestamp));
        }
        var newParams = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            string key = ValidKey(Str(p?["key"]));
            string value = Str(p?["value"]) ?? "";
            if (value.Length > MlflowLimits.MaxParamValueLength) throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Param value for '{key}' had length {value.Length}, which exceeded length limit of 6000");
            if (!newParams.TryAdd(key, value)) throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Duplicate parameter keys have been submitted: ['{key}'].");
            if (run.Params.TryGetValue(key, out var old) && old != value)
            {
                throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}' for run ID='{run.RunId}'. Attempted logging new value '{value}'.");
            }
        }
        var newTags = new List<(string, string)>();
        foreach (var t in tags) newTags.Add((ValidKey(Str(t?["key"])), Cut(Str(t?["value"]) ?? "", MlflowLimits.MaxTagValueLength)));

        run.Metrics.AddRange(newMetrics);
        foreach (var (k, v) in newParams) run.Params[k] = v;
        foreach (var (k, v) in newTags) run.Tags[k] = v;
        return [];
    }

    private JsonObject SearchRuns(JsonObject body)
    {
        var ids = (body["experiment_ids"] as JsonArray ?? []).Select(Str).ToHashSet();
        var conditions = ParseFilter(Str(body["filter"]));
        int max = (int)(Long(body["max_results"]) ?? 1000);
        int pageSize = Math.Min(max, PageSize);
        int offset = Str(body["page_token"]) is { } token ? int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)), CultureInfo.InvariantCulture) : 0;
        string view = Str(body["run_view_type"]) ?? "ACTIVE_ONLY";
        var matching = this.runs.Where(r => ids.Contains(r.ExperimentId) && conditions.All(c => c(r)) && (view == "ALL" || (view == "DELETED_ONLY") == r.Deleted))
            .OrderByDescending(r => r.StartTime).ThenBy(r => r.RunId, StringComparer.Ordinal).ToList();
        var page = matching.Skip(offset).Take(pageSize).ToList();
        var result = new JsonObject();
        if (page.Count > 0) result["runs"] = new JsonArray(page.Select(r => (JsonNode)RunJson(r, true)).ToArray());
        if (offset + pageSize < matching.Count) result["next_page_token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + pageSize).ToString(CultureInfo.InvariantCulture)));
        return result;
    }

    private static List<Func<FakeRun, bool>> ParseFilter(string? filter)
    {
        var list = new List<Func<FakeRun, bool>>();
        if (string.IsNullOrWhiteSpace(filter)) return list;
        foreach (var part in System.Text.RegularExpressions.Regex.Split(filter, @"\s+and\s+", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
        {
            var m = System.Text.RegularExpressions.Regex.Match(part.Trim(), "^(tags|params|attributes)\\.(?:`([^`]+)`|\"([^\"]+)\"|([A-Za-z0-9_.]+))\\s*=\\s*'((?:[^'\\\\]|\\\\.)*)'$");
            if (!m.Success) throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Invalid filter '{filter}'");
            string kind = m.Groups[1].Value;
            string key = m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Success ? m.Groups[3].Value : m.Groups[4].Value;
            string value = m.Groups[5].Value.Replace("\\'", "'", StringComparison.Ordinal);
            list.Add(kind switch
            {
                "tags" => r => r.Tags.GetValueOrDefault(key) == value,
                "params" => r => r.Params.GetValueOrDefault(key) == value,
                _ when key == "status" => r => r.Status == value,
                _ => throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Invalid attribute key '{key}'"),
            });
        }
        return list;
    }

    private JsonObject History(string? runId, string? key, string? maxResults, string? pageToken)
    {
        var run = FindRun(runId);
        int max = maxResults is null ? 25000 : int.Parse(maxResults, CultureInfo.InvariantCulture);
        int pageSize = Math.Min(max, PageSize);
        int offset = pageToken is null ? 0 : int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(pageToken)), CultureInfo.InvariantCulture);
        var all = run.Metrics.Where(m => m.Key == key).OrderBy(m => m.Timestamp).ThenBy(m => m.Step).ToList();
        var page = all.Skip(offset).Take(pageSize).ToList();
        var result = new JsonObject();
        if (page.Count > 0) result["metrics"] = new JsonArray(page.Select(p => (JsonNode)MetricJson(p)).ToArray());
        if (offset + pageSize < all.Count) result["next_page_token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + pageSize).ToString(CultureInfo.InvariantCulture)));
        return result;
    }

    private FakeRun FindRun(string? id) =>
        this.runs.FirstOrDefault(r => r.RunId == id) ?? throw new FakeError(404, "RESOURCE_DOES_NOT_EXIST", $"Run with id={id} not found");

    private static JsonObject RunJson(FakeRun r, bool withData)
    {
        var info = new JsonObject
        {
            ["run_uuid"] = r.RunId,
            ["run_id"] = r.RunId,
            ["run_name"] = r.Name,
            ["experiment_id"] = r.ExperimentId,
            ["user_id"] = r.UserId,
            ["status"] = r.Status,
            ["start_time"] = r.StartTime,
            ["artifact_uri"] = r.ArtifactUri,
            ["lifecycle_stage"] = r.Deleted ? "deleted" : "active",
        };
        if (r.EndTime is { } end) info["end_time"] = end;
        var data = new JsonObject();
        if (withData)
        {
            var latest = r.Metrics.GroupBy(m => m.Key).Select(g => g.OrderBy(m => m.Step).ThenBy(m => m.Timestamp).Last()).ToList();
            if (latest.Count > 0) data["metrics"] = new JsonArray(latest.Select(m => (JsonNode)MetricJson(m)).ToArray());
            if (r.Params.Count > 0) data["params"] = new JsonArray(r.Params.Select(kv => (JsonNode)new JsonObject { ["key"] = kv.Key, ["value"] = kv.Value }).ToArray());
            if (r.Tags.Count > 0) data["tags"] = new JsonArray(r.Tags.Select(kv => (JsonNode)new JsonObject { ["key"] = kv.Key, ["value"] = kv.Value }).ToArray());
        }
        return new JsonObject { ["info"] = info, ["data"] = data };
    }

    private static JsonObject MetricJson(MetricPoint m) => new()
    {
        ["key"] = m.Key,
        ["value"] = double.IsFinite(m.Value) ? JsonValue.Create(m.Value) : JsonValue.Create(double.IsNaN(m.Value) ? "NaN" : m.Value > 0 ? "Infinity" : "-Infinity"),
        ["timestamp"] = m.Timestamp,
        ["step"] = m.Step,
    };

    // ------------------------------------------------------------ artifacts

    private (int, string, string) Artifacts(FakeRequest req, string path, byte[] raw)
    {
        const string prefix = "/api/2.0/mlflow-artifacts/artifacts";
        string rest = path[prefix.Length..].Trim('/');
        if (req.Method == "PUT")
        {
            var parts = rest.Split('/');
            if (parts.Length < 4 || parts[2] != "artifacts" || parts.Any(p => p is ".." or "")) throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Invalid path {rest}");
            var run = FindRun(parts[1]);
            run.Artifacts[string.Join('/', parts.Skip(3))] = raw;
            return (200, "{}", "application/json");
        }
        if (req.Method == "GET" && rest.Length == 0)
        {
            var parts = (req.Query["path"] ?? "").Trim('/').Split('/');
            var result = new JsonObject();
            if (parts.Length >= 3 && this.runs.FirstOrDefault(r => r.RunId == parts[1]) is { } run)
            {
                string dir = string.Join('/', parts.Skip(3));
                string pre = dir.Length == 0 ? "" : dir + "/";
                var entries = run.Artifacts.Keys.Where(k => k.StartsWith(pre, StringComparison.Ordinal))
                    .Select(k => k[pre.Length..])
                    .Select(k => k.Contains('/') ? (Name: k[..k.IndexOf('/')], Dir: true) : (Name: k, Dir: false))
                    .Distinct().ToList();
                if (entries.Count > 0)
                {
                    result["files"] = new JsonArray(entries.Select(e => (JsonNode)(e.Dir
                        ? new JsonObject { ["path"] = e.Name, ["is_dir"] = true }
                        : new JsonObject { ["path"] = e.Name, ["is_dir"] = false, ["file_size"] = run.Artifacts[pre + e.Name].Length })).ToArray());
                }
            }
            return (200, result.ToJsonString(), "application/json");
        }
        throw new NotFound();
    }

    // The real server's rule and messages (mlflow/utils/validation.py on Linux), written independently of the client's.
    private static string ValidKey(string? key)
    {
        if (key is null) throw new FakeError(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'key'.");
        if (key.Length > MlflowLimits.MaxKeyLength || !System.Text.RegularExpressions.Regex.IsMatch(key, @"^[/\p{L}\p{N}_.\- :]*$"))
        {
            throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Invalid value \"{key}\" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).");
        }
        var segments = key.Split('/');
        if (key.Length == 0 || key.StartsWith('/') || key.StartsWith("..", StringComparison.Ordinal) || segments.Any(p => p is "" or "." or ".."))
        {
            throw new FakeError(400, "INVALID_PARAMETER_VALUE", $"Invalid value \"{key}\" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such.");
        }
        return key;
    }

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max];

    private static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue(out string? s) ? s : n?.ToJsonString();

    private static long? Long(JsonNode? n) => n is JsonValue v && v.TryGetValue(out long l) ? l : null;

    private sealed class FakeError(int status, string code, string message) : Exception(message)
    {
        public int Status { get; } = status;
        public string Code { get; } = code;
    }

    private sealed class NotFound : Exception;
}

internal sealed record FakeRequest(string Method, string Path, System.Collections.Specialized.NameValueCollection Query, Dictionary<string, string> Headers, byte[] Body);

internal sealed record RecordedRequest(string Method, string Route, int Status, string Body, string? Authorization);

internal sealed record FakeExperiment(string Id, string Name, string ArtifactLocation);

internal sealed class FakeRun
{
    public required string RunId { get; init; }
    public required string ExperimentId { get; init; }
    public required string Name { get; init; }
    public long StartTime { get; init; }
    public long? EndTime { get; set; }
    public string Status { get; set; } = "RUNNING";
    public string UserId { get; init; } = "";
    public required string ArtifactUri { get; init; }
    public Dictionary<string, string> Params { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
    public List<MetricPoint> Metrics { get; } = [];
    public Dictionary<string, byte[]> Artifacts { get; } = new(StringComparer.Ordinal);
    /// <summary>runs/delete was called: hidden from searches, writes refused.</summary>
    public bool Deleted { get; set; }
}
