using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tests.Data;

/// <summary>Data errors that no other test provokes, each with its own bad input.</summary>
public sealed class DataErrorIdTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-data-ids-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void AnImageFolderWithMoreClassesThanLabelsCanNumberIsRefusedBeforeAnyImageIsRead()
    {
        for (int i = 0; i < 257; i++) Directory.CreateDirectory(Path.Combine(root, $"class{i:D3}"));
        var ex = Assert.Throws<MnistCnnException>(() => ImageFolderLoader.Load(root, 0.2));
        Assert.Equal((DataErrorIds.ImageFolderTooManyClasses, ErrorKind.InvalidData), (ex.ErrorId, ex.Kind));
        Assert.Contains("257", ex.Message, StringComparison.Ordinal);
    }
}
