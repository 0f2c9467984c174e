using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Loads MNIST or Fashion-MNIST (the four IDX files, .gz or raw) into memory, ready for training.</para>
/// </summary>
[Cmdlet(VerbsData.Import, "MnistData")]
[OutputType(typeof(MnistDataset))]
public sealed class ImportMnistDataCommand : PSCmdlet
{
    private PipelineReporter? reporter;

    [Parameter(Position = 0)]
    public DatasetKind Dataset { get; set; } = DatasetKind.Mnist;

    /// <summary>A folder with the four files. Without it: $env:MNIST_DATA_DIR, the per-user cache, then a download.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string? Path { get; set; }

    /// <summary>Fail instead of downloading when no local copy exists.</summary>
    [Parameter]
    public SwitchParameter NoDownload { get; set; }

    /// <summary>Keep only the first N training images (quick experiments).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? TrainCount { get; set; }

    /// <summary>Keep only the first N test images.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? TestCount { get; set; }

    protected override void ProcessRecord()
    {
        string? folder = Path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        using var pump = new PipelineReporter();
        reporter = pump;
        try
        {
            var loader = new MnistLoader(pump);
            var options = DataLoadOptions.Default with { AllowDownload = !NoDownload };
            var data = pump.Run(this, (r, token) => loader.Load(Dataset, folder, options, token));
            if (TrainCount is not null || TestCount is not null)
            {
                data = data.Subset(TrainCount ?? data.Train.Count, TestCount ?? data.Test.Count);
            }
            WriteObject(data);
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
        finally
        {
            reporter = null;
        }
    }

    protected override void StopProcessing() => reporter?.Cancel();
}
