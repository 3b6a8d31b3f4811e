using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// What every task's estimator does, written once: <c>Fit</c> (threads, seed, device; base model and tokenizer; the task
/// reads its examples; the ready model; the training loop with a resume fingerprint; inference form) and
/// <c>GetOutputSchema</c> from the task's declared outputs. A public estimator is a thin face that makes its task and
/// calls these.
/// </summary>
internal static class FineTuningEstimator
{
    /// <summary>Trains <paramref name="task"/> on <paramref name="input"/> as <paramref name="options"/> say.</summary>
    /// <param name="env">The host.</param>
    /// <param name="options">The estimator's options.</param>
    /// <param name="task">A fresh task, made from the options.</param>
    /// <param name="input">The training data.</param>
    /// <param name="name">The component name in ML.NET's log ("LoraTextClassification").</param>
    public static (FineTunedModel Model, TrainingHistory History) Fit<TExample>(IHostEnvironment env, FineTuningOptions options,
        FineTuningTask<TExample> task, IDataView input, string name)
    {
        ArgumentNullException.ThrowIfNull(input);
        options.Validate();
        var host = env.Register(name);
        using var ch = host.Start("Fit");
        // An empty data view otherwise first shows as a label column with no key values ("has 1 key values").
        DataChecks.RequireRows(input, "training data");
        if (options.ValidationSet is { } validationSet) DataChecks.RequireRows(validationSet, "validation set");
        if (options.NumberOfThreads is { } threads) TorchRuntime.ConfigureThreads(threads);
        // The component name keeps the seeds drawn by earlier versions.
        int seed = options.Seed ?? env.Register("FineTuningSession").Rand.Next();
        var device = LoadDevice.For(env, options, ch.Info);
        var source = EncoderSource.FromPretrained(options.BaseModel, options.MaxSequenceLength, ch.Info);
        var context = new TaskFitContext(source, options, ch);

        var examples = task.ReadExamples(input, options.ValidationSet, context);
        var ready = ReadyModelBuilder.Build(source, task.TrainingHead(context), task.CreateHead, options.Method, device, seed: seed, log: ch.Info,
            peftTaskType: task.PeftTaskType, precision: options.Precision, gradientCheckpointing: options.GradientCheckpointing);
        try
        {
            var training = new TrainingSettings
            {
                Epochs = options.Epochs, BatchSize = options.BatchSize, LearningRate = LearningRate(options), WeightDecay = options.WeightDecay,
                WarmupFraction = options.WarmupFraction, MaxGradNorm = options.MaxGradNorm, EarlyStoppingPatience = options.EarlyStoppingPatience,
                Seed = seed, CheckpointDirectory = options.CheckpointDirectory, CheckpointEverySteps = options.CheckpointEverySteps,
                Progress = options.Progress, Log = ch.Info, CancellationToken = options.CancellationToken,
                Fingerprint = Fingerprint(task, options, ready, examples, seed),
            };
            var history = TrainingLoop.Run(ready.Model, task.TrainingTask(context), examples.Train, examples.Validation, training, device);
            var model = new FineTunedModel(ready);
            task.AfterTraining(model, examples, context);
            return (model, history);
        }
        catch
        {
            // A cancelled, diverged or failed run returns nothing: free its weights now rather than at some later GC.
            ready.Model.Dispose();
            throw;
        }
    }

    /// <summary>The input columns plus the task's outputs; throws naming a training column that is missing or mistyped.</summary>
    public static SchemaShape GetOutputSchema(FineTuningTask task, SchemaShape input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var labelNames = task.CheckTrainingInput(input);
        var result = input.ToDictionary(c => c.Name);
        foreach (var output in task.Outputs) result[output.Name] = output.ToShape(labelNames);
        return new SchemaShape(result.Values);
    }

    private static double LearningRate(FineTuningOptions options) => options.LearningRate ?? options.Method.DefaultLearningRate;

    /// <summary>
    /// Everything that changes what training computes: the task, base, head, method, every optimisation option, the seed,
    /// the maximum length, and every training and validation example with its labels. Options that only change how the run
    /// is observed or stored (progress, checkpoint folder and interval, scoring) are left out, so changing them still resumes.
    /// </summary>
    private static string Fingerprint<TExample>(FineTuningTask<TExample> task, FineTuningOptions options, ReadyModel ready,
        TaskExamples<TExample> examples, int seed)
    {
        using var fp = new RunFingerprint();
        fp.Add(task.Name).Add(ready.Base.Name).Add(ready.Base.IsEmbedded ? EmbeddedMiniLm.ContentHash : null)
            .Add(ready.Head.ToJson().ToJsonString()).Add(options.Method.ToJson().ToJsonString())
            .Add(options.Epochs).Add(options.BatchSize).Add(LearningRate(options)).Add(options.WeightDecay).Add(options.WarmupFraction)
            .Add(options.MaxGradNorm).Add(options.EarlyStoppingPatience ?? -1).Add(seed).Add(ready.Base.MaxSequenceLength);
        task.AddLabelsToFingerprint(fp);
        fp.Add(examples.Train.Count);
        foreach (var e in examples.Train) task.AddToFingerprint(e, fp);
        fp.Add(examples.Validation?.Count ?? -1);
        foreach (var e in examples.Validation ?? Array.Empty<TExample>()) task.AddToFingerprint(e, fp);
        return fp.Finish();
    }
}
