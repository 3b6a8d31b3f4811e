using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// The task-independent part of <c>Fit</c>: seed, threads and device; base model and tokenizer; the task head; the
/// fine-tuning method; the training loop; inference form. A task supplies its head and its <see cref="ITrainingTask{T}"/>.
/// </summary>
internal sealed class FineTuningSession
{
    private readonly IHostEnvironment env;
    private readonly LoraFineTuningOptions options;
    private readonly IChannel channel;

    public FineTuningSession(IHostEnvironment env, LoraFineTuningOptions options, IChannel channel)
    {
        this.env = env;
        this.options = options;
        this.channel = channel;
        options.Validate();
        TorchRuntime.ConfigureThreads(options.NumberOfThreads);
        Seed = options.Seed ?? env.Register(nameof(FineTuningSession)).Rand.Next();
        var settings = env as IHostEnvironmentInternal;
        Device = DeviceSelector.Select(options.Device, settings?.GpuDeviceId, options.FallbackToCpu ?? settings?.FallbackToCpu ?? true, Log);
        Tokenizer = options.BaseModel.LoadTokenizer(Log);
        Config = options.BaseModel.ReadConfig(Log);
        MaxSequenceLength = Math.Min(options.MaxSequenceLength ?? options.BaseModel.DefaultMaxSequenceLength ?? Config.MaxSequenceLength, Config.MaxSequenceLength);
        if (options.MaxSequenceLength > Config.MaxSequenceLength)
            Log($"MaxSequenceLength {options.MaxSequenceLength} exceeds the model's {Config.MaxSequenceLength} positions; using {Config.MaxSequenceLength}.");
    }

    public int Seed { get; }
    public Device Device { get; }
    public TextTokenizer Tokenizer { get; }
    public EncoderConfig Config { get; }
    public int MaxSequenceLength { get; }

    public void Log(string message) => channel.Info(message);

    /// <summary>Loads the base encoder, adds the head <paramref name="createHead"/> builds, applies the method, moves to the device.</summary>
    /// <param name="createHead">Builds the head on the encoder; its flag says whether BERT's pooler trains with the head.</param>
    /// <param name="needsPooler">Load BERT's pooler (sequence classification).</param>
    /// <param name="trainPooler">Train the pooler with the head: null = only when the checkpoint lacks it.</param>
    public TaskModel BuildModel(Func<EncoderModel, bool, TaskModel> createHead, bool needsPooler, bool? trainPooler = null)
    {
        manual_seed(Seed);   // a pooler the checkpoint lacks is initialised here
        var loaded = options.BaseModel.LoadEncoder(needsPooler, Log);
        if (loaded.NewlyInitialized.Count > 0)
            Log($"{options.BaseModel.Name} has no {string.Join(", ", loaded.NewlyInitialized)}: initialised fresh and trained with the head.");
        var model = createHead(loaded.Encoder, loaded.NewlyInitialized.Count > 0 || trainPooler == true);
        options.Method.Apply(model);
        model.Encoder.UsePrecision(options.Precision);   // after the method: only frozen weights change type
        model.Encoder.GradientCheckpointing = options.GradientCheckpointing;
        model.to(Device);
        Log($"{options.Method.Name} on {options.BaseModel.Name}, {options.Precision}{(options.GradientCheckpointing ? ", gradient checkpointing" : "")}: {TrainableParameterReport.Of(model)}");
        return model;
    }

    /// <summary>Runs the shared training loop and returns the model in inference form.</summary>
    public (FineTunedModel Model, TrainingHistory History) Train<TExample>(TaskModel model, ITrainingTask<TExample> task,
        IReadOnlyList<TExample> train, IReadOnlyList<TExample>? validation, string fingerprint)
    {
        var settings = new TrainingSettings
        {
            Epochs = options.Epochs, BatchSize = options.BatchSize, LearningRate = options.LearningRate ?? options.Method.DefaultLearningRate,
            WeightDecay = options.WeightDecay, WarmupFraction = options.WarmupFraction, MaxGradNorm = options.MaxGradNorm,
            EarlyStoppingPatience = options.EarlyStoppingPatience, Seed = Seed, CheckpointDirectory = options.CheckpointDirectory,
            CheckpointEverySteps = options.CheckpointEverySteps, Progress = options.Progress, Log = Log,
            CancellationToken = options.CancellationToken,
            Fingerprint = string.Join("|", fingerprint, options.BaseModel.Name, options.Method.ToJson().ToJsonString(), options.Epochs,
                options.BatchSize, options.LearningRate, options.WeightDecay, options.WarmupFraction, Seed, MaxSequenceLength, train.Count),
        };
        var history = TrainingLoop.Run(model, task, train, validation, settings, Device);
        var result = new FineTunedModel(model, Tokenizer, options.Method, options.BaseModel.Name, options.BaseModel.IsEmbedded, MaxSequenceLength, Device);
        return (result, history);
    }
}
