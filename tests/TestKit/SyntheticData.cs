using MnistCnn.Core.Data;

namespace MnistCnn.TestKit;

/// <summary>A small learnable stand-in for MNIST: class k is a bright horizontal bar at row 2 + 2k, plus noise.</summary>
internal static class SyntheticData
{
    public static MnistDataset Create(int train = 512, int test = 128, int seed = 1)
    {
        var random = new Random(seed);
        return new MnistDataset(DatasetKind.Mnist, Split("train", train, random), Split("test", test, random), "synthetic");
    }

    public static DataSplit Split(string name, int count, Random random)
    {
        var pixels = new byte[count * 28 * 28];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(10);
            labels[i] = (byte)label;
            for (int p = 0; p < 28 * 28; p++) pixels[(i * 784) + p] = (byte)random.Next(0, 60);
            int row = 2 + (2 * label);
            for (int x = 4; x < 24; x++) pixels[(i * 784) + (row * 28) + x] = (byte)random.Next(200, 256);
        }
        return new DataSplit(name, pixels, labels, 28, 28);
    }
}
