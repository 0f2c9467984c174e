using System.Globalization;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// Where and how runs are tracked: the MLflow server (http/https only), the experiment, credentials, and the
/// sender's timing. Build one with <see cref="Resolve"/>, which applies MLflow's environment variables. Secrets
/// (<see cref="Token"/>, <see cref="Password"/>) are never part of <see cref="ToString"/> or any message.
/// </summary>
public sealed record TrackingSettings
{
    public const string DefaultExperiment = "Default";

    /// <summary>Server base address without credentials, e.g. http://127.0.0.1:5000/ (null: local journal only).</summary>
    public Uri? TrackingUri { get; init; }

    public string Experiment { get; init; } = DefaultExperiment;

    /// <summary>
    /// Extra tags for every run (an experiment spec's <c>tracking.tags</c>, <c>Start-CnnTraining -Tag</c>). Keys must pass
    /// <see cref="TagKeyProblem"/>. The tags the module sets itself (mlflow.runName, mlflow.user, mlflow.source.*,
    /// mnistcnn.*) keep the module's values.
    /// </summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Bearer token (MLFLOW_TRACKING_TOKEN).</summary>
    public string? Token { get; init; }

    /// <summary>Basic-auth user (MLFLOW_TRACKING_USERNAME, or the user part of the URI).</summary>
    public string? Username { get; init; }

    /// <summary>Basic-auth password (MLFLOW_TRACKING_PASSWORD, or the password part of the URI).</summary>
    public string? Password { get; init; }

    /// <summary>Accept any TLS certificate (MLFLOW_TRACKING_INSECURE_TLS=true). For self-signed test servers only.</summary>
    public bool InsecureTls { get; init; }

    /// <summary>Our run id of a parent run (a sweep); the child gets mlflow.parentRunId once the parent is on the server.</summary>
    public string? ParentRunId { get; init; }

    /// <summary>Shared by the runs of a group (a sweep) so that an unreachable server is one warning for all of them, not one per run.</summary>
    public OfflineNotice? Offline { get; init; }

    /// <summary>mlflow.user and runs/create's user_id (default: the OS user name).</summary>
    public string User { get; init; } = SafeUserName();

    /// <summary>mlflow.source.name.</summary>
    public string SourceName { get; init; } = "MnistCnn";

    /// <summary>Folder searched upwards for a git checkout for mlflow.source.git.commit (default: the current directory).</summary>
    public string? SourceDirectory { get; init; }

    /// <summary>How long the end of a run waits for queued items to reach the server before leaving them for Publish-CnnRun.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a sweep's parent run must exist before it is taken as the one (see <see cref="SweepParent"/>): longer
    /// than the clock difference between the machines that run the trials plus one request's latency.
    /// </summary>
    public TimeSpan SweepSettle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Timeout of one HTTP request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First back-off delay after a connection error, 429 or 5xx; doubles per failure up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest Retry-After honoured; a server asking for more is waited on this long.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts per request for one-shot operations (publishing, reading); the live tracker retries until its flush deadline.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Page size for runs/search and metrics/get-history.</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>Test hook: how back-off waits (default Task.Delay).</summary>
    internal Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = (d, ct) => Task.Delay(d, ct);

    /// <summary>Test hook: HTTP handler to use instead of a fresh SocketsHttpHandler.</summary>
    internal HttpMessageHandler? Handler { get; init; }

    /// <summary>True when a server is configured.</summary>
    public bool IsRemote => TrackingUri is not null;

    /// <summary>
    /// Works out the settings: an explicit URI (cmdlet parameter or spec) wins over MLFLOW_TRACKING_URI; an explicit
    /// experiment over MLFLOW_EXPERIMENT_NAME. Credentials come from MLFLOW_TRACKING_TOKEN,
    /// MLFLOW_TRACKING_USERNAME/PASSWORD or the URI's user info. A URI that is not http(s) leaves the run local and
    /// reports why through <paramref name="reporter"/>; a malformed explicit URI throws TrackingUriInvalid.
    /// </summary>
    public static TrackingSettings Resolve(string? trackingUri = null, string? experiment = null, IReporter? reporter = null,
        Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        reporter ??= NullReporter.Instance;
        string? token = NonEmpty(environment("MLFLOW_TRACKING_TOKEN"));
        string? user = NonEmpty(environment("MLFLOW_TRACKING_USERNAME"));
        string? password = NonEmpty(environment("MLFLOW_TRACKING_PASSWORD"));
        bool insecure = IsTrue(environment("MLFLOW_TRACKING_INSECURE_TLS"));
        string? experimentName = NonEmpty(experiment) ?? NonEmpty(environment("MLFLOW_EXPERIMENT_NAME")) ?? DefaultExperiment;

        bool explicitUri = !string.IsNullOrWhiteSpace(trackingUri);
        string? raw = explicitUri ? trackingUri!.Trim() : NonEmpty(environment("MLFLOW_TRACKING_URI"));
        Uri? uri = null;
        if (raw is not null)
        {
            string origin = explicitUri ? "The tracking URI" : "MLFLOW_TRACKING_URI";
            if (!Uri.TryCreate(raw, UriKind.Absolute, out var parsed))
            {
                string shown = Redact(raw);
                if (explicitUri)
                {
                    throw new MnistCnnException(TrackingErrorIds.TrackingUriInvalid, ErrorKind.InvalidArgument,
                        $"{origin} '{shown}' is not an absolute URI. Give the MLflow server's address, e.g. http://127.0.0.1:5000.", shown);
                }
                reporter.Warning($"{origin} '{shown}' is not an absolute URI; the run is tracked locally only (journal.jsonl in the run folder).");
            }
            else if (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)
            {
                reporter.Warning($"{origin} uses the '{parsed.Scheme}:' scheme; only http(s) MLflow tracking servers are supported " +
                    "(start one with 'mlflow server --host 127.0.0.1 --port 5000'). The run is tracked locally only (journal.jsonl in the run folder).");
            }
            else
            {
                if (!string.IsNullOrEmpty(parsed.UserInfo))
                {
                    string[] parts = parsed.UserInfo.Split(':', 2);
                    user ??= Uri.UnescapeDataString(parts[0]);
                    if (parts.Length > 1) password ??= Uri.UnescapeDataString(parts[1]);
                }
                uri = Normalize(parsed);
            }
        }
        return new TrackingSettings
        {
            TrackingUri = uri,
            Experiment = experimentName,
            Token = token,
            Username = user,
            Password = password,
            InsecureTls = insecure,
        };
    }

    /// <summary>
    /// Why MLflow would refuse <paramref name="key"/> as a tag key, or null when it is fine: the server's own rule,
    /// <see cref="MlflowLimits.KeyProblem"/>.
    /// </summary>
    public static string? TagKeyProblem(string? key) => MlflowLimits.KeyProblem(key) is { } problem ? "tag " + problem : null;

    /// <summary>The server address as shown to users and written to journals: scheme, host, port and path only.</summary>
    public string ServerDisplay => TrackingUri is null ? "(none)" : TrackingUri.GetLeftPart(UriPartial.Path).TrimEnd('/');

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"TrackingSettings {{ TrackingUri = {ServerDisplay}, Experiment = {Experiment}, Auth = {(Token is not null ? "bearer" : Username is not null ? "basic" : "none")}, InsecureTls = {InsecureTls} }}");

    /// <summary>Replaces every configured secret in <paramref name="text"/> with ***.</summary>
    internal string Scrub(string text)
    {
        foreach (var secret in new[] { Token, Password })
        {
            if (!string.IsNullOrEmpty(secret) && secret.Length >= 3) text = text.Replace(secret, "***", StringComparison.Ordinal);
        }
        return text;
    }

    internal static Uri Normalize(Uri uri)
    {
        var b = new UriBuilder(uri) { UserName = "", Password = "", Query = "", Fragment = "" };
        if (!b.Path.EndsWith('/')) b.Path += "/";
        return b.Uri;
    }

    private static string Redact(string raw)
    {
        int at = raw.IndexOf('@', StringComparison.Ordinal);
        int scheme = raw.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme >= 0 && at > scheme ? raw[..(scheme + 3)] + "***@" + raw[(at + 1)..] : raw;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static bool IsTrue(string? s) => s is not null && (s.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) || s.Trim() == "1");

    private static string SafeUserName()
    {
        try { return Environment.UserName; }
        catch (InvalidOperationException) { return "unknown"; }
    }
}
