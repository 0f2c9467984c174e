using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Loads MNIST or Fashion-MNIST (the four IDX files, .gz or raw), or a folder of your own images with one sub-folder per class, into memory, ready for training.</para>
/// </summary>
[Cmdlet(VerbsData.Import, "MnistData")]
[OutputType(typeof(MnistDataset))]
public sealed class ImportMnistDataCommand : PSCmdlet
{
    private PipelineReporter? reporter;

    [Parameter(Position = 0)]
    [ValidateSet(nameof(DatasetKind.Mnist), nameof(DatasetKind.FashionMnist))]
    public DatasetKind Dataset { get; set; } = DatasetKind.Mnist;

    /// <summary>
    /// A folder with the four files, or a folder of images with one sub-folder per class. Without it:
    /// $env:MNIST_DATA_DIR, the per-user cache, then a download.
    /// </summary>
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

    /// <summary>Image folders: the share of each class kept for the test split (default 0.2).</summary>
    [Parameter]
    public double? TestFraction { get; set; }

    /// <summary>Image folders: the seed of the shuffle that splits each class (default 0).</summary>
    [Parameter]
    public int? SplitSeed { get; set; }

    protected override void ProcessRecord()
    {
        string? folder = Path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        using var pump = new PipelineReporter();
        reporter = pump;
        try
        {
            if (folder is not null && ImageFolderLoader.IsImageFolder(folder))
            {
                ImportImageFolder(pump, folder);
                return;
            }
            if (TestFraction is not null || SplitSeed is not null)
            {
                ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ImageFolderOptionUnused, ErrorCategory.InvalidArgument,
                    "-TestFraction and -SplitSeed split a folder of class sub-folders of images; MNIST's IDX files come split already. " +
                    "Leave them out, or pass -Path a folder with one sub-folder of images per class.", folder));
                return;
            }
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

    private void ImportImageFolder(PipelineReporter pump, string folder)
    {
        var imported = pump.Run(this, (r, token) =>
            ImageFolderLoader.Load(folder, TestFraction ?? ImageFolderLoader.DefaultTestFraction, SplitSeed ?? 0, r, token));
        // Unreadable files are skipped: each is reported, the rest of the folder is used.
        foreach (var problem in imported.Problems) WriteError(ErrorRecords.From(problem.Error));
        var data = imported.Dataset;
        if (TrainCount is not null || TestCount is not null)
        {
            data = data.Subset(TrainCount ?? data.Train.Count, TestCount ?? data.Test.Count);
        }
        WriteObject(data);
    }

    protected override void StopProcessing() => reporter?.Cancel();
}
