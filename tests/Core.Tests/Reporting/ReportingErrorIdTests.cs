using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Reporting;

namespace MnistCnn.Core.Tests.Reporting;

/// <summary>Reporting errors that no other test provokes, each with its own bad input.</summary>
public sealed class ReportingErrorIdTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-report-ids-" + Guid.NewGuid().ToString("N"));

    public ReportingErrorIdTests() => Directory.CreateDirectory(root);

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void AGridWithoutColumnsIsRefused(int columns)
    {
        var split = SyntheticData.Split("test", 4, new Random(1));
        var ex = Assert.Throws<MnistCnnException>(() => ImageGrid.Samples(split, [0, 1], options: new ImageGridOptions { Columns = columns }));
        Assert.Equal((ReportingErrorIds.ImageColumnsInvalid, ErrorKind.InvalidArgument), (ex.ErrorId, ex.Kind));
        Assert.Contains($"got {columns}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("bad\0name")]
    public void AnUnusableOutputFolderIsRefused(string folder)
    {
        var ex = Assert.Throws<MnistCnnException>(() => PictureFiles.Folder(folder));
        Assert.Equal((ReportingErrorIds.ReportFolderInvalid, ErrorKind.InvalidArgument), (ex.ErrorId, ex.Kind));
    }

    [Fact]
    public void AnOutputFolderThatCannotBeCreatedSaysWhichPath()
    {
        // A file where a parent folder must go: the folder cannot be created.
        string file = Path.Combine(root, "a-file");
        File.WriteAllText(file, "not a folder");
        string folder = Path.Combine(file, "pictures");
        var ex = Assert.Throws<MnistCnnException>(() => PictureFiles.Folder(folder));
        Assert.Equal((ReportingErrorIds.ReportWriteFailed, ErrorKind.ResourceUnavailable), (ex.ErrorId, ex.Kind));
        Assert.Equal(folder, ex.Target);
        Assert.Contains("writable", ex.Message, StringComparison.Ordinal);
    }
}
