namespace MnistCnn.Core.Data;

/// <summary>Which of the IDX-format digit-like datasets this is.</summary>
public enum DatasetKind
{
    Mnist,
    FashionMnist,
    /// <summary>Your own images: one sub-folder of PNG/JPEG files per class (<see cref="ImageFolderLoader"/>).</summary>
    ImageFolder,
}

/// <summary>A dataset with its train and test splits, where it came from, and its files' SHA-256 checksums.</summary>
public sealed class MnistDataset
{
    public MnistDataset(DatasetKind kind, DataSplit train, DataSplit test, string source, IReadOnlyDictionary<string, string>? checksums = null, bool checksumsVerified = false)
        : this(kind, train, test, source, checksums, checksumsVerified, null, null)
    {
    }

    /// <summary>A dataset with its own name and class names (an image folder: the folder's and its sub-folders' names).</summary>
    public MnistDataset(DatasetKind kind, DataSplit train, DataSplit test, string source, IReadOnlyDictionary<string, string>? checksums, bool checksumsVerified,
        string? name, IReadOnlyList<string>? classNames)
    {
        this.name = name;
        this.classNames = classNames;
        ChecksumsVerified = checksumsVerified;
        Kind = kind;
        Train = train;
        Test = test;
        Source = source;
        Checksums = checksums ?? new Dictionary<string, string>();
    }

    private readonly string? name;
    private readonly IReadOnlyList<string>? classNames;

    public DatasetKind Kind { get; }
    public string Name => name ?? Kind.ToString();
    public DataSplit Train { get; }
    public DataSplit Test { get; }
    /// <summary>The folder the files were read from.</summary>
    public string Source { get; }
    /// <summary>File name as read (e.g. <c>train-images-idx3-ubyte.gz</c>) to lower-case hex SHA-256 of its bytes as stored, for every file read.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; }
    /// <summary>True when every file matched the official checksums of <see cref="Kind"/> (always for cached and downloaded data).</summary>
    public bool ChecksumsVerified { get; }

    public int Classes => ClassNames.Count;

    /// <summary>Examples per class in the training split, index = label (what the tutorial prints).</summary>
    public IReadOnlyList<int> TrainLabelCounts => Train.LabelCounts(Classes);

    /// <summary>Examples per class in the test split, index = label.</summary>
    public IReadOnlyList<int> TestLabelCounts => Test.LabelCounts(Classes);
    public InputShape InputShape => new(Train.Height, Train.Width, 1);

    /// <summary>Human names of the classes, index = label.</summary>
    public IReadOnlyList<string> ClassNames => classNames ?? ClassNamesOf(Kind);

    public static IReadOnlyList<string> ClassNamesOf(DatasetKind kind) => kind switch
    {
        DatasetKind.FashionMnist => new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
        _ => new[] { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" },
    };

    /// <summary>A smaller copy: the first <paramref name="trainCount"/> training and <paramref name="testCount"/> test examples.</summary>
    public MnistDataset Subset(int trainCount, int? testCount = null) =>
        new(Kind, Train.Slice(0, Math.Min(trainCount, Train.Count)), Test.Slice(0, Math.Min(testCount ?? Test.Count, Test.Count)), Source, Checksums, ChecksumsVerified, name, classNames);

    public override string ToString() => $"{Name} (train {Train.Shape}, test {Test.Shape})";
}
