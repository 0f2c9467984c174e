using System.Globalization;
using System.Management.Automation;
using System.Text;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets tracked runs from an MLflow server or from local run folders.</para>
/// <para type="description">Each run comes back as an object with its identity, status and times, and its params and
/// final metrics as properties (test_accuracy becomes TestAccuracy, batch_size BatchSize), so runs sort and filter
/// like any PowerShell objects. All params, metrics and tags are also in the Params, Metrics and Tags dictionaries.
/// Server queries follow every result page.</para>
/// <example><code>Get-CnnRun -Experiment mnist | Sort-Object TestAccuracy -Descending | Format-Table</code></example>
/// <example><code>Get-CnnRun -Experiment mnist -Filter "params.optimizer = 'adam'"</code></example>
/// <example><code>Get-CnnRun -Path ./runs | Where-Object Status -eq Failed</code></example>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CnnRun", DefaultParameterSetName = ServerSet)]
[OutputType(typeof(TrackedRun))]
public sealed class GetCnnRunCommand : PSCmdlet
{
    private const string ServerSet = "Server";
    private const string PathSet = "Path";

    /// <summary>Experiment names (default: $env:MLFLOW_EXPERIMENT_NAME, else Default).</summary>
    [Parameter(ParameterSetName = ServerSet, Position = 0)]
    [ArgumentCompleter(typeof(ExperimentNameCompleter))]
    public string[] Experiment { get; set; } = [];

    /// <summary>The MLflow server (http or https); default: $env:MLFLOW_TRACKING_URI.</summary>
    [Parameter(ParameterSetName = ServerSet)]
    public string? TrackingUri { get; set; }

    /// <summary>An MLflow search filter, e.g. "metrics.test_accuracy > 0.99 and params.optimizer = 'adam'".</summary>
    [Parameter(ParameterSetName = ServerSet)]
    public string? Filter { get; set; }

    /// <summary>Run folders, or folders holding run folders, read from their journals (no server needed).</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "OutputPath")]
    [ArgumentCompleter(typeof(RunFolderCompleter))]
    public string[] Path { get; set; } = [];

    private static readonly string[] DisplayProperties = ["RunName", "Status", "Experiment", "Epochs", "Accuracy", "ValAccuracy", "TestAccuracy", "StartTime"];

    protected override void ProcessRecord()
    {
        var reporter = new QueuedReporter();
        try
        {
            if (ParameterSetName == PathSet)
            {
                foreach (var input in Path)
                {
                    foreach (var run in RunReader.FromFolder(GetUnresolvedProviderPathFromPSPath(input), reporter))
                    {
                        reporter.Drain(this);
                        WriteObject(Wrap(run));
                    }
                }
            }
            else
            {
                var settings = TrackingSettings.Resolve(TrackingUri, Experiment.FirstOrDefault(), reporter);
                reporter.Drain(this);
                var experiments = Experiment.Length > 0 ? Experiment : [settings.Experiment];
                var runs = RunReader.FromServerAsync(settings, experiments, Filter, reporter).GetAwaiter().GetResult();
                foreach (var run in runs) WriteObject(Wrap(run));
            }
        }
        catch (MnistCnnException ex)
        {
            WriteError(ErrorRecords.From(ex));
        }
        finally
        {
            reporter.Drain(this);
        }
    }

    /// <summary>The run with its metrics and simple params added as typed NoteProperties.</summary>
    internal static PSObject Wrap(TrackedRun run)
    {
        var o = PSObject.AsPSObject(run);
        o.TypeNames.Insert(0, "MnistCnn.TrackedRun");
        foreach (var (key, value) in run.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            AddNote(o, Pascal(key), value);
        }
        foreach (var (key, value) in run.Params.Where(kv => !kv.Key.Contains('.', StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            AddNote(o, Pascal(key), Typed(value));
        }
        o.Members.Add(new PSMemberSet("PSStandardMembers", [new PSPropertySet("DefaultDisplayPropertySet", DisplayProperties)]));
        return o;
    }

    private static void AddNote(PSObject o, string name, object? value)
    {
        if (name.Length > 0 && o.Properties[name] is null) o.Properties.Add(new PSNoteProperty(name, value));
    }

    /// <summary>test_accuracy -> TestAccuracy; batch_size -> BatchSize.</summary>
    internal static string Pascal(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var part in key.Split(['_', '.', '-', ' ', '/', ':'], StringSplitOptions.RemoveEmptyEntries))
        {
            sb.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        }
        return sb.ToString();
    }

    private static object Typed(string value)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        if (bool.TryParse(value, out var b)) return b;
        return value;
    }
}
