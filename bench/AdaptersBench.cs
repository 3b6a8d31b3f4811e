using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Native;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// Memory of several adapters on one base: resident memory of a fresh process that imports N LoRA classifiers (r = 8 on
/// query and value, 3 classes, trained pooler: what the classification default saves) on the embedded MiniLM through
/// <c>FromPeftAdapter</c> and scores a batch with each, with the base's weights shared (the default) and with a copy per
/// model. Every configuration runs in its own process, after a GC and the allocator's trim.
/// </summary>
internal static class AdaptersBench
{
    private const int Adapters = 5;

    public static int Run(string[] args)
    {
        if (args.Length >= 1 && args[0] == "--child") return Child(int.Parse(args[1], CultureInfo.InvariantCulture), args[2] == "shared", args[3]);
        var folder = Path.Combine(BenchEnvironment.OutputFolder, "adapters");
        WriteAdapters(folder);
        var table = new ResultTable("Several adapters on one base (all-MiniLM-L6-v2, RSS of a fresh process)",
            "classifiers", "base weights", "RSS MiB", "over 1 classifier", "load s (all)");
        double? processOnly = null;
        var rss = new Dictionary<(int, bool), double>();
        foreach (var (n, shared) in new[] { (0, true), (1, true), (Adapters, true), (1, false), (Adapters, false) })
        {
            var r = ChildRun.Bench("adapters", "--child", n.ToString(CultureInfo.InvariantCulture), shared ? "shared" : "own", folder);
            double mb = r["rss_mb"]!.GetValue<double>();
            rss[(n, shared)] = mb;
            if (n == 0)
            {
                processOnly = mb;
                continue;
            }
            string over = n == 1 ? "" : $"+{mb - rss[(1, shared)]:F0} MiB ({(mb - rss[(1, shared)]) / (n - 1):F1} per adapter)";
            table.Add(n, shared ? "shared (default)" : "one copy per model", mb.ToString("F0", CultureInfo.InvariantCulture), over, r["load_s"]!.GetValue<double>());
        }
        var adapterMb = new DirectoryInfo(Path.Combine(folder, "0")).GetFiles().Sum(f => f.Length) / 1048576.0;
        table.Note($"A process with the library and TorchSharp loaded but no model: {processOnly:F0} MiB. One adapter's files: {adapterMb:F2} MiB " +
            "(LoRA A/B of 12 layers, the 384×384 pooler, the classifier). The base's weights are 87 MiB in float32. Shared models keep LoRA unmerged. " +
            "Of each further shared model's cost, about 6 MiB is managed heap (its own tokenizer vocabulary and ML.NET objects); the rest is its " +
            "adapter, head and allocator slack.");
        table.Record("adapters");
        return 0;
    }

    /// <summary>Five adapters for the embedded MiniLM, as <c>SaveAdapter</c> writes them, with random (trained-looking) weights.</summary>
    private static void WriteAdapters(string folder)
    {
        var config = PretrainedModel.MiniLmL6V2.ReadConfig();
        for (int i = 0; i < Adapters; i++)
        {
            manual_seed(i);
            using var model = new SequenceClassificationModel(EncoderModel.Create(config, addPoolingLayer: true), 3, poolerIsHead: true);
            var options = new LoraOptions();
            LoraInjector.Inject(model, options);
            using (no_grad())
                foreach (var l in model.modules().OfType<LoraLinear>()) l.LoraB.normal_(0, 0.02);
            PeftAdapter.Save(model, options, PeftTaskType.SequenceClassification, Path.Combine(folder, i.ToString(CultureInfo.InvariantCulture)),
                PretrainedModel.MiniLmL6V2.HuggingFaceId, new[] { "positive", "negative", "neutral" });
        }
    }

    private static int Child(int n, bool shared, string folder)
    {
        SharedEncoderWeights.Enabled = shared;
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions { Sentence1ColumnName = "Text" });
        var data = ml.Data.LoadFromEnumerable(new[] { "Shares jumped after the earnings beat", "The company cut its outlook", "Flat trading today" }
            .Select(t => new Row { Text = t }));
        var sw = Stopwatch.StartNew();
        var models = new List<LoraTextClassificationTransformer>();
        for (int i = 0; i < n; i++) models.Add(estimator.FromPeftAdapter(Path.Combine(folder, i.ToString(CultureInfo.InvariantCulture))));
        double load = sw.Elapsed.TotalSeconds;
        foreach (var m in models) _ = m.Transform(data).GetColumn<float[]>("Score").ToArray();   // every model scores
        if (n == 0) using (zeros(1).add(1)) { }   // load libtorch all the same
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TorchRuntime.ReleaseFreedMemory();
        Console.WriteLine(new JsonObject { ["n"] = n, ["shared"] = shared, ["rss_mb"] = TorchRuntime.ResidentBytes() / 1048576.0, ["load_s"] = load }.ToJsonString());
        GC.KeepAlive(models);
        return 0;
    }

    private sealed class Row
    {
        public string Text { get; set; } = "";
    }
}
