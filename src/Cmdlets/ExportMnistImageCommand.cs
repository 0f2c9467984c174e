using System.Globalization;
using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Reporting;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Draws images of a dataset split as a labelled PNG grid, or writes them as one PNG per image.</para>
/// <para type="description">Pixels are exact: each image pixel becomes a Scale x Scale block of grey = pixel value
/// (white strokes on black, as matplotlib's gray colour map shows MNIST). Labels are class names for Fashion-MNIST.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "MnistImage", DefaultParameterSetName = FirstSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportMnistImageCommand : PSCmdlet
{
    private const string FirstSet = "First";
    private const string IndexSet = "Index";
    private const string RandomSet = "Random";

    /// <summary>The dataset, usually piped from Import-MnistData.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public MnistDataset? Dataset { get; set; }

    /// <summary>Train or Test.</summary>
    [Parameter]
    [ValidateSet("Train", "Test", IgnoreCase = true)]
    public string Split { get; set; } = "Train";

    /// <summary>The grid's PNG file, or with -Single the folder for the images (default: train-samples.png or train-images).</summary>
    [Parameter(Position = 0)]
    public string? Path { get; set; }

    /// <summary>How many images: the first N, or N at random with -Random (default 9, a 3x3 grid).</summary>
    [Parameter(ParameterSetName = FirstSet)]
    [Parameter(ParameterSetName = RandomSet)]
    [ValidateRange(1, 100000)]
    public int Count { get; set; } = 9;

    /// <summary>The indices of the images to draw, in order.</summary>
    [Parameter(ParameterSetName = IndexSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public int[] Index { get; set; } = Array.Empty<int>();

    /// <summary>Pick -Count images at random (without repeats).</summary>
    [Parameter(ParameterSetName = RandomSet, Mandatory = true)]
    public SwitchParameter Random { get; set; }

    /// <summary>Seed for -Random; the same seed picks the same images. Without it a seed is drawn and shown with -Verbose.</summary>
    [Parameter(ParameterSetName = RandomSet)]
    public int? Seed { get; set; }

    /// <summary>Write one PNG per image (named split-index-label.png) instead of a grid.</summary>
    [Parameter]
    public SwitchParameter Single { get; set; }

    /// <summary>Integer zoom: each pixel becomes Scale x Scale (default 4 for a grid, 1 for -Single).</summary>
    [Parameter]
    [ValidateRange(1, 32)]
    public int? Scale { get; set; }

    /// <summary>Images per grid row (default: a square).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int? Columns { get; set; }

    /// <summary>A title over the grid.</summary>
    [Parameter]
    public string? Title { get; set; }

    protected override void ProcessRecord()
    {
        if (Dataset is null) return;
        try
        {
            bool test = string.Equals(Split, "Test", StringComparison.OrdinalIgnoreCase);
            var split = test ? Dataset.Test : Dataset.Train;
            var indices = Select(split);
            string splitName = test ? "test" : "train";
            if (Single.IsPresent)
            {
                string folder = GetUnresolvedProviderPathFromPSPath(Path ?? $"{splitName}-images");
                if (!ShouldProcess(folder, string.Create(CultureInfo.InvariantCulture, $"Write {indices.Count} PNG images"))) return;
                foreach (var file in ImageGrid.WriteSingles(folder, split, indices, Dataset.ClassNames, Scale ?? 1))
                {
                    this.WriteItem(file);
                }
            }
            else
            {
                string file = GetUnresolvedProviderPathFromPSPath(Path ?? $"{splitName}-samples.png");
                if (!ShouldProcess(file, string.Create(CultureInfo.InvariantCulture, $"Write a grid of {indices.Count} images"))) return;
                ImageGrid.WriteSamples(file, split, indices, Dataset.ClassNames, new ImageGridOptions { Scale = Scale ?? 4, Columns = Columns, Title = Title });
                this.WriteItem(file);
            }
        }
        catch (MnistCnnException ex)
        {
            WriteError(ErrorRecords.From(ex));
        }
    }

    private IReadOnlyList<int> Select(DataSplit split)
    {
        switch (ParameterSetName)
        {
            case IndexSet:
                ImageSelection.Check(Index, split);
                return Index;
            case RandomSet:
                int seed = Seed ?? System.Random.Shared.Next();
                WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Picking {Count} of {split.Count} images with seed {seed}."));
                return ImageSelection.Random(split, Count, seed);
            default:
                return ImageSelection.First(split, Count);
        }
    }
}
