using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.TextClassification;
using TorchSharp.PyBridge;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Lora;

/// <summary>
/// Every adapter in ../shared/peft-fixtures, written by Hugging Face PEFT itself, on a base of its published shape: every
/// tensor of the file lands where PEFT puts it (bit for bit), every targeted Linear gets its A and B, the merged weight is
/// W0 + alpha/r · B·A, the head is loaded, and AdaLoRA is refused naming <c>peft_type</c>.
/// </summary>
public class PeftFixtureTests : IClassFixture<PublishedShapeBases>
{
    private readonly PublishedShapeBases bases;
    private readonly ITestOutputHelper output;

    public PeftFixtureTests(PublishedShapeBases bases, ITestOutputHelper output)
    {
        this.bases = bases;
        this.output = output;
    }

    // fixture, architecture of its base, classes, targets, heads saved
    public static TheoryData<string, string, int, string[], string[]> SequenceClassification => new()
    {
        { "bert-base-uncased-seqcls-r8", "bert", 2, new[] { "query", "value" }, new[] { "classifier" } },
        { "bert-base-uncased-sst2-seqcls", "bert", 2, new[] { "query", "value" }, new[] { "classifier" } },
        { "bert-base-uncased-sst2-seqcls-checkpoint-4210", "bert", 2, new[] { "query", "value" }, new[] { "classifier" } },
        { "distilbert-emotion-seqcls", "distilbert", 6, new[] { "q_lin", "v_lin" }, new[] { "pre_classifier", "classifier" } },
        // pre_classifier is saved though modules_to_save lists only "classifier": PEFT selects by str.endswith.
        { "distilbert-faq-seqcls", "distilbert", 6, new[] { "q_lin", "v_lin" }, new[] { "pre_classifier", "classifier" } },
        // modules_to_save holds ["classifier", "score"] seven times.
        { "distilbert-amazon-polarity-seqcls", "distilbert", 2, new[] { "q_lin" }, new[] { "pre_classifier", "classifier" } },
        { "distilbert-sst2-finetuned-base-seqcls", "distilbert", 2, new[] { "q_lin", "v_lin" }, new[] { "pre_classifier", "classifier" } },
    };

    [Theory]
    [MemberData(nameof(SequenceClassification))]
    public void SequenceClassificationAdapterLoadsWherePeftPutsIt(string fixture, string architecture, int classes, string[] targets, string[] heads)
    {
        var arch = architecture == "bert" ? EncoderArchitecture.Bert : EncoderArchitecture.DistilBert;
        var folder = PeftFixtures.Folder(fixture);
        var options = new LoraTextClassificationOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(bases.For(arch)) };
        var model = PeftImport.Load(new MLContext(1), options, TextClassificationTask.ForImport(options, null), folder, "test");
        Assert.Equal(classes, model.Head.Outputs);
        Assert.Equal(arch == EncoderArchitecture.Bert ? PoolerUse.Frozen : PoolerUse.None, model.Head.Pooler);
        var config = arch == EncoderArchitecture.Bert ? PublishedShapeBases.BertBaseConfig : PublishedShapeBases.DistilBertConfig;
        double maxDiff = AdapterChecks.AssertLoadedExactly(model.Model, folder, bases.For(arch), PeftTaskType.SequenceClassification,
            expectedAdapted: config.NumLayers * targets.Length, expectedHeads: heads);
        output.WriteLine($"{fixture}: max |merged - (W0 + scale*B*A)| = {maxDiff:E2}");
    }

    [Fact]
    public void QuestionAnsweringAdapterLoadsItsQaOutputs()
    {
        var folder = PeftFixtures.Folder("bert-base-uncased-qa");
        // *ForQuestionAnswering has no pooler. The base's weights are the class's shared copy: the adapter writes none of them.
        var loaded = SharedEncoderWeights.Load(bases.BertBase, PublishedShapeBases.BertBaseConfig, withPooler: false, CPU,
            pooler => HuggingFaceCheckpoint.LoadEncoder(bases.BertBase, pooler));
        using var model = new QuestionAnsweringTestModel(loaded.Encoder);
        var options = PeftAdapter.Load(model, PeftTaskType.QuestionAnswering, folder);
        Assert.Equal(16, options.Rank);
        Assert.Equal(2.0, model.modules().OfType<LoraLinear>().First().Scaling);   // alpha 32 / r 16
        double maxDiff = AdapterChecks.AssertLoadedExactly(model, folder, bases.BertBase, PeftTaskType.QuestionAnswering, expectedAdapted: 24, expectedHeads: new[] { "qa_outputs" });
        model.eval();
        using var _ = no_grad();
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config, batch: 2, length: 9);
        Assert.Equal(new long[] { 2, 9, 2 }, model.forward(ids, mask).shape);   // start and end logits per token
        output.WriteLine($"bert-base-uncased-qa: max |merged - (W0 + scale*B*A)| = {maxDiff:E2}");
    }

    [Fact]
    public void SentenceTransformersAdapterChangesTheEmbeddedMiniLmByExactlyItsUpdate()
    {
        var folder = PeftFixtures.Folder("all-MiniLM-L6-v2-sentence-transformers-feature-extraction");
        var miniLm = PretrainedModel.MiniLmL6V2.ResolveFolder();
        var config = HuggingFaceCheckpoint.ReadConfig(miniLm);
        LoadedEncoder Shared() => SharedEncoderWeights.Load(miniLm, config, withPooler: true, CPU, pooler => HuggingFaceCheckpoint.LoadEncoder(miniLm, pooler));
        var file = Safetensors.LoadStateDict(Path.Combine(folder, PeftAdapter.WeightsFileName));
        using var baseEncoder = Shared().Encoder;
        // The reference: the base with W0 + scale·B·A written into each adapted layer (its own copy of the weights).
        using var reference = HuggingFaceCheckpoint.LoadEncoder(miniLm, addPoolingLayer: true).Encoder;
        var referenceModules = reference.named_modules().ToDictionary(m => m.name, m => m.module);
        using (no_grad())
            foreach (var key in file.Keys.Where(k => k.EndsWith(".lora_A.weight", StringComparison.Ordinal)).Select(k => k[..^".lora_A.weight".Length]))
            {
                var delta = file[key + ".lora_B.weight"].to(ScalarType.Float64).matmul(file[key + ".lora_A.weight"].to(ScalarType.Float64)) * (16.0 / 4);
                ((TorchSharp.Modules.Linear)referenceModules[key[PeftTaskType.KeyPrefix.Length..]]).weight!.add_(delta.to(ScalarType.Float32));
            }
        foreach (var e in new nn.Module[] { reference, baseEncoder }) e.eval();
        var (ids, mask) = TinyModels.Batch(config, batch: 3, length: 12);
        Tensor baseOutput, referenceOutput;
        using (no_grad())
        {
            baseOutput = baseEncoder.Encode(ids, mask);
            referenceOutput = reference.Encode(ids, mask);
        }
        // Keys are those of a bare BertModel (encoder.layer.N…); they land on the encoder of any task's model, head left as built.
        foreach (var makeModel in new Func<EncoderModel, TaskModel>[] { e => new SequenceClassificationModel(e, 3), e => new TokenClassificationModel(e, 5) })
        {
            using var model = makeModel(Shared().Encoder);
            var headBefore = model.state_dict().Where(kv => !kv.Key.StartsWith("bert.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            PeftAdapter.Load(model, PeftTaskType.FeatureExtraction, folder);
            double maxDiff = AdapterChecks.AssertLoadedExactly(model, folder, miniLm, PeftTaskType.FeatureExtraction, expectedAdapted: 12, expectedHeads: Array.Empty<string>());
            foreach (var (name, t) in headBefore) Assert.True(TensorAssert.Identical(t, model.state_dict()[name]), name);
            output.WriteLine($"all-MiniLM-L6-v2 FEATURE_EXTRACTION on {model.GetType().Name}: max |merged - (W0 + scale*B*A)| = {maxDiff:E2}");

            // The embeddings: the adapted encoder (LoRA unmerged) equals the base with the update written into its weights.
            Assert.All(model.modules().OfType<LoraLinear>(), l => Assert.Equal(16.0 / 4, l.Scaling));
            model.eval();
            using var _ = no_grad();
            var adapted = model.Encoder.Encode(ids, mask);
            float change = TensorAssert.MaxAbsDiff(adapted, baseOutput);
            float error = TensorAssert.MaxAbsDiff(adapted, referenceOutput);
            output.WriteLine($"  embeddings: change by the adapter {change:E2}, difference from base + update {error:E2}");
            Assert.True(change > 1e-4, $"the adapter changes the embeddings by only {change}");
            Assert.True(error < 1e-5 && error < change / 100, $"adapted embeddings differ from base + update by {error} (the adapter changes them by {change})");
        }
    }

    [Fact]
    public void AdaLoraIsRefusedNamingPeftType()
    {
        var folder = PeftFixtures.Folder("roberta-base-agnews-ADALORA-negative");
        var ex = Assert.Throws<InvalidDataException>(() => PeftAdapter.ReadConfig(folder));
        Assert.Contains("peft_type", ex.Message);
        Assert.Contains("ADALORA", ex.Message);
        Assert.Contains(Path.Combine(folder, "adapter_config.json"), ex.Message);
        // Through the face too, before any base is read.
        var estimator = new MLContext(1).Transforms.LoraFineTune(new LoraTextClassificationOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(bases.BertBase) });
        Assert.Contains("ADALORA", Assert.Throws<InvalidDataException>(() => estimator.FromPeftAdapter(folder)).Message);
    }

    [Fact]
    public void TwoAdaptersOnOneBaseShareOneCopyOfItsWeights()
    {
        var ml = new MLContext(1);
        var options = new LoraTextClassificationOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(bases.BertBase) };
        var late = PeftImport.Load(ml, options, TextClassificationTask.ForImport(options, null), PeftFixtures.Folder("bert-base-uncased-sst2-seqcls"), "test");
        var early = PeftImport.Load(ml, options, TextClassificationTask.ForImport(options, null), PeftFixtures.Folder("bert-base-uncased-sst2-seqcls-checkpoint-4210"), "test");
        Assert.NotNull(late.SharedBase);
        Assert.Same(late.SharedBase!.Weights, early.SharedBase!.Weights);
        var (ids, mask) = TinyModels.Batch(late.Model.Encoder.Config, batch: 4, length: 16);
        var lateLogits = Logits(late, ids, mask);
        var earlyLogits = Logits(early, ids, mask);
        Assert.True(TensorAssert.MaxAbsDiff(lateLogits, earlyLogits) > 1e-3, "two epochs of training should give different logits");

        // One copy: a change to the first model's frozen W0 shows in the second's (undone at once).
        var w0 = late.Model.modules().OfType<LoraLinear>().First().Weight;
        var other = early.Model.modules().OfType<LoraLinear>().First().Weight;
        using (no_grad())
        {
            var before = other.clone();
            w0.add_(1);
            bool shared = !TensorAssert.Identical(before, other);
            w0.sub_(1);
            Assert.True(shared, "the two models hold separate copies of the base weights");
        }

    }

    [Fact]
    public void DistilBertAdapterScoresThroughTheClassificationFace()
    {
        var folder = PeftFixtures.Folder("distilbert-faq-seqcls");
        var ml = new MLContext(1);
        var labels = new[] { "Admissions", "Exams", "Fees", "Hostel", "Other", "Placement" };   // the fixture's label_mapping.json
        var classifier = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(bases.DistilBert), Sentence1ColumnName = "Text",
        }).FromPeftAdapter(folder, labels);
        Assert.Equal(labels, classifier.LabelNames);
        Assert.Equal(6, classifier.ClassCount);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "when is the exam" }, new TextRow { Text = "hostel fees" } });
        var scores = classifier.Transform(data).GetColumn<float[]>("Score").ToArray();
        Assert.All(scores, s => Assert.Equal(1.0, s.Sum(), 4));
        Assert.All(scores, s => Assert.Equal(6, s.Length));
        var wrong = Assert.Throws<ArgumentException>(() => ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(bases.DistilBert),
        }).FromPeftAdapter(folder, new[] { "a", "b" }));
        Assert.Contains("6 classes", wrong.Message);
        // A BERT adapter on the DistilBERT base: the first tensor without a place, named, and nothing half-loaded.
        var ex = Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(bases.DistilBert),
        }).FromPeftAdapter(PeftFixtures.Folder("bert-base-uncased-seqcls-r8")));
        Assert.Contains("adapter_config.json", ex.Message);
    }

    private static Tensor Logits(FineTunedModel model, Tensor ids, Tensor mask)
    {
        using var _ = no_grad();
        return model.Model.forward(ids, mask).clone();
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }
}

/// <summary>The checks every real adapter passes once loaded.</summary>
internal static class AdapterChecks
{
    /// <summary>
    /// Asserts that <paramref name="model"/> holds the adapter of <paramref name="adapterFolder"/> exactly as PEFT would: every
    /// tensor of the file at its PEFT place with identical values, LoRA layers exactly where the file has A and B, their W0
    /// untouched (the base folder's), and merged weight = W0 + scale·B·A. Returns max |merged − (W0 + scale·B·A)| (float64 reference).
    /// </summary>
    public static double AssertLoadedExactly(TaskModel model, string adapterFolder, string baseFolder, PeftTaskType taskType, int expectedAdapted,
        IReadOnlyList<string> expectedHeads)
    {
        string root = model.Encoder.Config.Names.Root;
        var file = Safetensors.LoadStateDict(Path.Combine(adapterFolder, PeftAdapter.WeightsFileName));
        var state = model.state_dict();
        foreach (var (key, t) in file)
        {
            Assert.True(taskType.TryFromPeftKey(root, key, out var name), key);
            Assert.True(state.ContainsKey(name), $"{key} has no place ({name})");
            Assert.True(TensorAssert.Identical(t, state[name]), $"{key} was not loaded as written");
        }
        var adapted = model.named_modules().Where(m => m.module is LoraLinear).Select(m => m.name).Order().ToList();
        var inFile = file.Keys.Where(k => k.EndsWith(".lora_A.weight", StringComparison.Ordinal))
            .Select(k => { taskType.TryFromPeftKey(root, k, out var n); return n[..^".lora_A.weight".Length]; }).Order().ToList();
        Assert.Equal(inFile, adapted);
        Assert.Equal(expectedAdapted, adapted.Count);
        foreach (var head in expectedHeads)
            Assert.Contains(file.Keys, k => k == PeftTaskType.KeyPrefix + head + ".weight");

        var config = PeftAdapter.ReadConfig(adapterFolder);
        var baseKeys = adapted.SelectMany(n => new[] { n[(root.Length + 1)..] + ".weight", n + ".weight" }).ToList();
        var baseTensors = Safetensors.LoadStateDict(Path.Combine(baseFolder, "model.safetensors"), baseKeys);
        double maxDiff = 0;
        using var _ = no_grad();
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var name in adapted)
        {
            var lora = (LoraLinear)modules[name];
            string relative = name[(root.Length + 1)..];
            var w0 = baseTensors.TryGetValue(relative + ".weight", out var w) ? w : baseTensors[name + ".weight"];
            Assert.True(TensorAssert.Identical(w0, lora.Weight), $"{name}: W0 changed");
            double scale = config.LoraAlpha / config.R;
            Assert.Equal(scale, lora.Scaling, 12);
            string key = taskType.ToPeftKey(root, name);
            var expected = w0.to(ScalarType.Float64) + file[key + ".lora_B.weight"].to(ScalarType.Float64).matmul(file[key + ".lora_A.weight"].to(ScalarType.Float64)) * scale;
            using var merged = lora.MergedWeight();
            maxDiff = Math.Max(maxDiff, (merged.to(ScalarType.Float64) - expected).abs().max().item<double>());
        }
        Assert.True(maxDiff <= 1e-6, $"max |merged - (W0 + scale*B*A)| = {maxDiff}");
        foreach (var t in file.Values.Concat(baseTensors.Values)) t.Dispose();
        return maxDiff;
    }
}
