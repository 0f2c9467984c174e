using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>One metric value as MLflow stores it.</summary>
public sealed record MetricPoint(string Key, double Value, long Step, long Timestamp);

/// <summary>A run as the MLflow server returns it (runs/get, runs/search).</summary>
public sealed class ServerRun
{
    public required string RunId { get; init; }
    public required string ExperimentId { get; init; }
    public string? RunName { get; init; }
    public string? Status { get; init; }
    public long? StartTime { get; init; }
    public long? EndTime { get; init; }
    public string? ArtifactUri { get; init; }
    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>Latest value of every metric.</summary>
    public IReadOnlyDictionary<string, MetricPoint> Metrics { get; init; } = new Dictionary<string, MetricPoint>();
}

/// <summary>An entry of an artifact folder listing.</summary>
internal sealed record ArtifactEntry(string Name, bool IsDirectory, long? Size);

/// <summary>
/// The slice of MLflow's REST API (2.x, /api/2.0/mlflow/ and the mlflow-artifacts proxy) that tracking needs.
/// Every call retries connection errors, timeouts, 429 (honouring Retry-After) and 5xx with exponential back-off up
/// to <see cref="TrackingSettings.MaxAttempts"/> attempts; other errors throw <see cref="MlflowApiException"/> at once.
/// </summary>
internal sealed class MlflowClient : IDisposable
{
    private readonly TrackingSettings settings;
    private readonly HttpClient http;
    private readonly Uri baseUri;
    private readonly int attempts;

    public MlflowClient(TrackingSettings settings, int? attempts = null)
    {
        if (settings.TrackingUri is null) throw new ArgumentException("No tracking URI configured.", nameof(settings));
        this.settings = settings;
        baseUri = TrackingSettings.Normalize(settings.TrackingUri);
        this.attempts = Math.Max(1, attempts ?? settings.MaxAttempts);
        http = settings.Handler is { } h ? new HttpClient(h, disposeHandler: false) : new HttpClient(CreateHandler(settings));
        http.Timeout = Timeout.InfiniteTimeSpan; // per request, below
        if (settings.Token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        }
        else if (settings.Username is not null)
        {
            string pair = settings.Username + ":" + (settings.Password ?? "");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        }
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("MnistCnn", "1.0"));
    }

    public string Server => this.settings.ServerDisplay;

    /// <summary>False: a refused connection fails at once instead of being retried (for callers that must not stall on a server that is down).</summary>
    public bool RetryConnectionFailures { get; init; } = true;

    public void Dispose() => http.Dispose();

    private static SocketsHttpHandler CreateHandler(TrackingSettings settings)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = settings.RequestTimeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (settings.InsecureTls)
        {
#pragma warning disable CA5359 // MLFLOW_TRACKING_INSECURE_TLS=true is the user's explicit opt-out of certificate checks.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        return handler;
    }

    // ---------------------------------------------------------------- experiments

    public async Task<string?> GetExperimentIdByNameAsync(string name, CancellationToken ct)
    {
        try
        {
            var r = await GetAsync("experiments/get-by-name", [new("experiment_name", name)], ct);
            return Str(r["experiment"]?["experiment_id"]);
        }
        catch (MlflowApiException ex) when (ex.ErrorCode == "RESOURCE_DOES_NOT_EXIST" || ex.StatusCode == 404 && ex.ErrorCode is not null)
        {
            return null;
        }
    }

    /// <summary>The experiment's id, creating it when missing; a concurrent creator's RESOURCE_ALREADY_EXISTS is not an error.</summary>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken ct)
    {
        var id = await GetExperimentIdByNameAsync(name, ct);
        if (id is not null) return id;
        try
        {
            var r = await PostAsync("experiments/create", new JsonObject { ["name"] = name }, ct);
            return Str(r["experiment_id"]) ?? throw Malformed("experiments/create", "no experiment_id");
        }
        catch (MlflowApiException ex) when (ex.ErrorCode == "RESOURCE_ALREADY_EXISTS")
        {
            return await GetExperimentIdByNameAsync(name, ct)
                ?? throw Malformed("experiments/get-by-name", $"experiment '{name}' exists but cannot be read back");
        }
    }

    // ---------------------------------------------------------------- runs

    public async Task<ServerRun> CreateRunAsync(string experimentId, string runName, long startTime, string user,
        IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["run_name"] = runName,
            ["start_time"] = startTime,
            ["user_id"] = user,
            ["tags"] = KeyValues(tags),
        };
        var r = await PostAsync("runs/create", body, ct, idempotent: false);
        return ParseRun(r["run"]) ?? throw Malformed("runs/create", "no run in the answer");
    }

    /// <summary>Marks a run deleted (runs/delete): searches no longer return it and the server refuses writes to it.</summary>
    public Task DeleteRunAsync(string runId, CancellationToken ct) =>
        PostAsync("runs/delete", new JsonObject { ["run_id"] = runId }, ct);

    public async Task<ServerRun?> GetRunAsync(string runId, CancellationToken ct)
    {
        try
        {
            var r = await GetAsync("runs/get", [new("run_id", runId)], ct);
            return ParseRun(r["run"]);
        }
        catch (MlflowApiException ex) when (ex.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
    }

    /// <summary>Sets status and (for a finished run) end time; the server never fills end_time itself.</summary>
    public Task UpdateRunAsync(string runId, string status, long? endTime, CancellationToken ct)
    {
        var body = new JsonObject { ["run_id"] = runId, ["status"] = status };
        if (endTime is { } end) body["end_time"] = end;
        return PostAsync("runs/update", body, ct);
    }

    public Task LogBatchAsync(string runId, IReadOnlyList<MetricPoint> metrics, IReadOnlyList<KeyValuePair<string, string>> parameters,
        IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct)
    {
        var body = new JsonObject { ["run_id"] = runId };
        if (metrics.Count > 0) body["metrics"] = new JsonArray(metrics.Select(m => (JsonNode)MetricJson(m)).ToArray());
        if (parameters.Count > 0) body["params"] = KeyValues(parameters);
        if (tags.Count > 0) body["tags"] = KeyValues(tags);
        return PostAsync("runs/log-batch", body, ct, idempotent: false);
    }

    /// <summary>Every run of the experiments matching <paramref name="filter"/>, following next_page_token to the end.</summary>
    public async Task<List<ServerRun>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter, CancellationToken ct, int? limit = null)
    {
        var runs = new List<ServerRun>();
        string? token = null;
        do
        {
            var body = new JsonObject
            {
                ["experiment_ids"] = new JsonArray(experimentIds.Select(i => (JsonNode)JsonValue.Create(i)).ToArray()),
                ["max_results"] = this.settings.PageSize,
                ["run_view_type"] = "ACTIVE_ONLY",
            };
            if (!string.IsNullOrEmpty(filter)) body["filter"] = filter;
            if (token is not null) body["page_token"] = token;
            var r = await PostAsync("runs/search", body, ct);
            if (r["runs"] is JsonArray arr)
            {
                foreach (var item in arr)
                {
                    if (ParseRun(item) is { } run) runs.Add(run);
                }
            }
            token = Str(r["next_page_token"]);
            if (limit is { } l && runs.Count >= l) break;
        }
        while (!string.IsNullOrEmpty(token));
        return runs;
    }

    public async Task<List<MetricPoint>> GetMetricHistoryAsync(string runId, string key, CancellationToken ct)
    {
        var points = new List<MetricPoint>();
        string? token = null;
        do
        {
            var query = new List<KeyValuePair<string, string>>
            {
                new("run_id", runId),
                new("metric_key", key),
                new("max_results", this.settings.PageSize.ToString(CultureInfo.InvariantCulture)),
            };
            if (token is not null) query.Add(new("page_token", token));
            var r = await GetAsync("metrics/get-history", query, ct);
            if (r["metrics"] is JsonArray arr)
            {
                foreach (var m in arr)
                {
                    if (ParseMetric(m) is { } p) points.Add(p);
                }
            }
            token = Str(r["next_page_token"]);
        }
        while (!string.IsNullOrEmpty(token));
        return points;
    }

    // ---------------------------------------------------------------- artifacts (mlflow-artifacts proxy)

    /// <summary>
    /// The proxied artifact path of a run (e.g. "1/abc/artifacts") from its artifact_uri, or null when the server
    /// stores artifacts somewhere this client cannot reach (s3:, file:, ...).
    /// </summary>
    public static string? ProxiedArtifactRoot(string? artifactUri)
    {
        const string scheme = "mlflow-artifacts:";
        if (artifactUri is null || !artifactUri.StartsWith(scheme, StringComparison.Ordinal)) return null;
        string rest = artifactUri[scheme.Length..];
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            int slash = rest.IndexOf('/', 2);
            rest = slash < 0 ? "" : rest[slash..];
        }
        return rest.Trim('/');
    }

    public async Task UploadArtifactAsync(string root, string relativePath, string file, CancellationToken ct)
    {
        var uri = new Uri(baseUri, "api/2.0/mlflow-artifacts/artifacts/" + EscapePath(root + "/" + relativePath));
        await SendAsync(() =>
        {
            var content = new StreamContent(File.OpenRead(file));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return new HttpRequestMessage(HttpMethod.Put, uri) { Content = content };
        }, "artifact upload", ct);
    }

    public async Task<List<ArtifactEntry>> ListArtifactsAsync(string root, string? relativeDirectory, CancellationToken ct)
    {
        string path = string.IsNullOrEmpty(relativeDirectory) ? root : root + "/" + relativeDirectory;
        var uri = new Uri(baseUri, "api/2.0/mlflow-artifacts/artifacts?path=" + Uri.EscapeDataString(path));
        var r = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), "artifact listing", ct);
        var list = new List<ArtifactEntry>();
        if (r["files"] is JsonArray arr)
        {
            foreach (var f in arr)
            {
                string? p = Str(f?["path"]);
                if (p is null) continue;
                long? size = f?["file_size"] is { } s ? Long(s) : null;
                list.Add(new ArtifactEntry(p.Contains('/', StringComparison.Ordinal) ? p[(p.LastIndexOf('/') + 1)..] : p, Bool(f?["is_dir"]), size));
            }
        }
        return list;
    }

    // ---------------------------------------------------------------- transport

    // idempotent: false for calls that must not be repeated blindly (runs/create, runs/log-batch); they are retried
    // here only when the server cannot have applied them, otherwise the caller reconciles first.
    private Task<JsonObject> PostAsync(string route, JsonObject body, CancellationToken ct, bool idempotent = true)
    {
        var uri = new Uri(baseUri, "api/2.0/mlflow/" + route);
        string json = body.ToJsonString();
        return SendAsync(() => new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(json, Encoding.UTF8, "application/json") }, route, ct, idempotent);
    }

    private Task<JsonObject> GetAsync(string route, IEnumerable<KeyValuePair<string, string>> query, CancellationToken ct)
    {
        string q = string.Join("&", query.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));
        var uri = new Uri(baseUri, "api/2.0/mlflow/" + route + (q.Length > 0 ? "?" + q : ""));
        return SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), route, ct);
    }

    private async Task<JsonObject> SendAsync(Func<HttpRequestMessage> request, string what, CancellationToken ct, bool idempotent = true)
    {
        for (int attempt = 1; ; attempt++)
        {
            MlflowApiException failure;
            try
            {
                return await SendOnceAsync(request, what, ct);
            }
            catch (MlflowApiException ex) when (ex.IsTransient && attempt < this.attempts && (idempotent || !ex.MaybeApplied) && !(ex.IsConnectionFailure && !RetryConnectionFailures))
            {
                failure = ex;
            }
            await this.settings.Delay(BackOff(this.settings, attempt, failure.RetryAfter), ct);
        }
    }

    /// <summary>Wait before retry number <paramref name="failures"/>: the server's Retry-After (capped), else RetryDelay x 2^(failures-1) capped.</summary>
    internal static TimeSpan BackOff(TrackingSettings settings, int failures, TimeSpan? retryAfter)
    {
        if (retryAfter is { } ra) return ra > settings.MaxRetryAfter ? settings.MaxRetryAfter : ra < TimeSpan.Zero ? TimeSpan.Zero : ra;
        double ms = settings.RetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, settings.MaxRetryDelay.TotalMilliseconds));
    }

    private async Task<JsonObject> SendOnceAsync(Func<HttpRequestMessage> request, string what, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(this.settings.RequestTimeout);
        HttpResponseMessage response;
        string text;
        try
        {
            using var message = request();
            response = await http.SendAsync(message, timeout.Token);
            text = await response.Content.ReadAsStringAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            throw new MlflowApiException(TrackingErrorIds.MlflowUnreachable, ErrorKind.ConnectionError,
                $"The MLflow server at {Server} did not answer {what} within {this.settings.RequestTimeout.TotalSeconds:0.#} s.", 0, null, true, null, Server, ex)
            { MaybeApplied = true };
        }
        catch (HttpRequestException ex)
        {
            throw new MlflowApiException(TrackingErrorIds.MlflowUnreachable, ErrorKind.ConnectionError,
                this.settings.Scrub($"The MLflow server at {Server} cannot be reached ({what}): {ex.Message}"), 0, null, true, null, Server, ex)
            { MaybeApplied = ex.HttpRequestError is not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError) };
        }
        catch (IOException ex)
        {
            throw new MlflowApiException(TrackingErrorIds.MlflowUnreachable, ErrorKind.ConnectionError,
                this.settings.Scrub($"The connection to the MLflow server at {Server} failed ({what}): {ex.Message}"), 0, null, true, null, Server, ex)
            { MaybeApplied = true };
        }

        using (response)
        {
            int status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                if (string.IsNullOrWhiteSpace(text)) return new JsonObject();
                try
                {
                    return JsonNode.Parse(text) as JsonObject ?? throw Malformed(what, "the answer is not a JSON object");
                }
                catch (JsonException)
                {
                    throw Malformed(what, "the answer is not JSON; is this an MLflow tracking server?");
                }
            }
            string? code = null, serverMessage = null;
            try
            {
                if (JsonNode.Parse(text) is JsonObject err)
                {
                    code = Str(err["error_code"]);
                    serverMessage = Str(err["message"]);
                }
            }
            catch (JsonException)
            {
                // HTML or plain text: not an MLflow error object.
            }
            TimeSpan? retryAfter = null;
            if (response.Headers.RetryAfter is { } ra)
            {
                retryAfter = ra.Delta ?? (ra.Date is { } d ? d - DateTimeOffset.UtcNow : null);
            }
            string detail = serverMessage ?? (text.TrimStart().StartsWith('<')
                ? "an HTML page, not an MLflow API answer: check that the URI is an MLflow tracking server (MLflow 2.x REST API)"
                : Shorten(text.Trim(), 300));
            detail = this.settings.Scrub(detail);
            bool transient = status == 429 || status >= 500;
            (string id, ErrorKind kind) = status switch
            {
                401 or 403 => (TrackingErrorIds.MlflowAuthenticationFailed, ErrorKind.SecurityError),
                404 => (TrackingErrorIds.MlflowNotFound, ErrorKind.ObjectNotFound),
                429 => (TrackingErrorIds.MlflowThrottled, ErrorKind.ResourceUnavailable),
                >= 500 => (TrackingErrorIds.MlflowServerError, ErrorKind.ResourceUnavailable),
                _ => (TrackingErrorIds.MlflowRequestRejected, ErrorKind.InvalidData),
            };
            string hint = status switch
            {
                401 => " " + CredentialsHint(),
                403 => $" The server knows the credentials ({Credentials()}) but does not let that user do this: ask its administrator for permission on the experiment, or use another account.",
                _ => "",
            };
            throw new MlflowApiException(id, kind,
                string.Create(CultureInfo.InvariantCulture, $"MLflow server {Server} refused {what} with {status} {(code is null ? "" : code + ": ")}{detail.TrimEnd().TrimEnd('.')}.{hint}"),
                status, code, transient, retryAfter, Server)
            { MaybeApplied = status == 500 || status > 504 };
        }
    }

    /// <summary>What was sent, named without its secret: a bearer token, a user name, or nothing.</summary>
    private string Credentials() =>
        this.settings.Token is not null ? "a bearer token" : this.settings.Username is { } user ? $"user '{user}'" : "none";

    private string CredentialsHint() => this.settings.Token is null && this.settings.Username is null
        ? "No credentials were sent: set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or put user:password in the tracking URI)."
        : $"The server did not accept the credentials sent ({Credentials()}): check MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or the user:password in the tracking URI).";

    // ---------------------------------------------------------------- JSON helpers

    internal static JsonObject MetricJson(MetricPoint m) => new()
    {
        ["key"] = m.Key,
        ["value"] = MetricValue(m.Value),
        ["timestamp"] = m.Timestamp,
        ["step"] = m.Step,
    };

    /// <summary>A finite double as a JSON number; NaN and the infinities as the strings MLflow's protobuf JSON accepts.</summary>
    internal static JsonNode MetricValue(double v) =>
        double.IsNaN(v) ? JsonValue.Create("NaN") : double.IsPositiveInfinity(v) ? JsonValue.Create("Infinity") : double.IsNegativeInfinity(v) ? JsonValue.Create("-Infinity") : JsonValue.Create(v);

    internal static double? ParseMetricValue(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.TryGetValue(out double d)) return d;
        if (v.TryGetValue(out string? s))
        {
            return s switch
            {
                "NaN" => double.NaN,
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) ? p : null,
            };
        }
        return null;
    }

    internal static MetricPoint? ParseMetric(JsonNode? m)
    {
        string? key = Str(m?["key"]);
        double? value = ParseMetricValue(m?["value"]);
        if (key is null || value is null) return null;
        return new MetricPoint(key, value.Value, Long(m?["step"]) ?? 0, Long(m?["timestamp"]) ?? 0);
    }

    internal static ServerRun? ParseRun(JsonNode? run)
    {
        var info = run?["info"];
        string? id = Str(info?["run_id"]) ?? Str(info?["run_uuid"]);
        if (info is null || id is null) return null;
        var data = run?["data"];
        return new ServerRun
        {
            RunId = id,
            ExperimentId = Str(info["experiment_id"]) ?? "",
            RunName = Str(info["run_name"]),
            Status = Str(info["status"]),
            StartTime = Long(info["start_time"]),
            EndTime = Long(info["end_time"]),
            ArtifactUri = Str(info["artifact_uri"]),
            Params = Pairs(data?["params"]),
            Tags = Pairs(data?["tags"]),
            Metrics = (data?["metrics"] as JsonArray ?? [])
                .Select(ParseMetric).OfType<MetricPoint>()
                .GroupBy(p => p.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.OrderBy(p => p.Step).ThenBy(p => p.Timestamp).Last(), StringComparer.Ordinal),
        };
    }

    private static Dictionary<string, string> Pairs(JsonNode? node)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonArray arr)
        {
            foreach (var kv in arr)
            {
                if (Str(kv?["key"]) is { } k) d[k] = Str(kv?["value"]) ?? "";
            }
        }
        return d;
    }

    private static JsonArray KeyValues(IEnumerable<KeyValuePair<string, string>> pairs) =>
        new(pairs.Select(kv => (JsonNode)new JsonObject { ["key"] = kv.Key, ["value"] = kv.Value }).ToArray());

    internal static string? Str(JsonNode? n) => n is JsonValue v ? (v.TryGetValue(out string? s) ? s : v.ToJsonString()) : null;

    internal static long? Long(JsonNode? n)
    {
        if (n is not JsonValue v) return null;
        if (v.TryGetValue(out long l)) return l;
        if (v.TryGetValue(out double d) && double.IsFinite(d)) return (long)d;
        return v.TryGetValue(out string? s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    private static bool Bool(JsonNode? n) => n is JsonValue v && v.TryGetValue(out bool b) && b;

    private static string EscapePath(string path) => string.Join("/", path.Split('/').Select(Uri.EscapeDataString));

    internal static string Shorten(string s, int max) => s.Length <= max ? s : s[..max] + "...";

    private MlflowApiException Malformed(string what, string why) =>
        new(TrackingErrorIds.MlflowAnswerInvalid, ErrorKind.InvalidData, $"The MLflow server at {Server} gave an unexpected answer to {what}: {why}.", 200, null, false, null, Server);
}
