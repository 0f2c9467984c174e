using System.Globalization;
using System.Text.Json;
using MnistCnn.Bench;

// Usage (see docs/performance.md):
//   MnistCnn.Bench train [--batches 200 --warmup 20 | --epochs 1] [--batch-size 64] [--threads 2] [--device cpu|cuda] [--eval] ...
//   MnistCnn.Bench compare [--repeats 3] [--batches 200] [--threads 2]
//   MnistCnn.Bench scaling [--sizes 10000,30000,60000] [--batch-sizes 32,64,128,256,512,1024]
//   MnistCnn.Bench fast [--seeds 1,2,3] [recipe options]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: MnistCnn.Bench train|compare|scaling|fast [--options]; see docs/performance.md");
    return 2;
}
var options = new Options(args.Skip(1));
switch (args[0])
{
    case "train":
        var result = BareLoop.Run(options);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    case "trainer":
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(TrainerPath.Run(options)));
        return 0;
    case "profile":
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(Profile.Run(options)));
        return 0;
    case "compare":
        return Runner.Compare(options);
    case "scaling":
        return Runner.Scaling(options);
    case "fast":
        return Runner.Fast(options);
    default:
        Console.Error.WriteLine($"Unknown command '{args[0]}'.");
        return 2;
}
