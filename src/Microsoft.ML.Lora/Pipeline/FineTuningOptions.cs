using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;

namespace Microsoft.ML.Lora;

/// <summary>
/// Settings shared by every fine-tuning estimator of this library: the base model, the method (LoRA by default), the
/// optimisation schedule, validation and early stopping, device, checkpoints and progress.
/// </summary>
public abstract class FineTuningOptions
{
    /// <summary>The pretrained encoder to start from. Default: the embedded all-MiniLM-L6-v2 (no download).</summary>
    public PretrainedModel BaseModel { get; set; } = PretrainedModel.MiniLmL6V2;

    /// <summary>How to fine-tune. Default: <see cref="FineTuningMethod.Lora"/> with PEFT's defaults (r = 8, query and value).</summary>
    public FineTuningMethod Method { get; set; } = FineTuningMethod.Lora();

    /// <summary>Passes over the training data. Default 3.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Examples per optimizer step. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Peak learning rate of AdamW, in (0, 1]; null = the method's default (LoRA 5e-4, full 5e-5, last layers 1e-4, head-only 1e-3, adapters 5e-4, prefix 5e-3).</summary>
    public double? LearningRate { get; set; }

    /// <summary>AdamW weight decay (not applied to biases and LayerNorm), in [0, 1]. Default 0.01.</summary>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Fraction of all steps spent warming the learning rate up from 0; it then decays linearly to 0. Default 0.06.</summary>
    public double WarmupFraction { get; set; } = 0.06;

    /// <summary>Gradient norm clipping; 0 disables. Default 1.0.</summary>
    public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>Longest input in tokens (specials included); longer inputs are truncated and counted in the log. Null = the model's (MiniLM: 256).</summary>
    public int? MaxSequenceLength { get; set; }

    /// <summary>Data scored after every epoch (loss and the task metric); enables early stopping and keeps the best epoch.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Stop after this many epochs without a better validation metric and restore the best epoch's weights; null = never stop early.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>CPU, CUDA or Auto (CUDA when available; honours <c>MLContext.GpuDeviceId</c>). Default Auto.</summary>
    public ComputeDevice Device { get; set; } = ComputeDevice.Auto;

    /// <summary>When CUDA is asked for but missing: run on the CPU (true) or throw (false). Null = <c>MLContext.FallbackToCpu</c>.</summary>
    public bool? FallbackToCpu { get; set; }

    /// <summary>
    /// Number format of training and scoring. <see cref="global::Microsoft.ML.Lora.Precision.BFloat16"/> is mixed precision as PyTorch's autocast:
    /// matrix products in bfloat16 with the frozen base weights stored in bfloat16; trained weights, gradients and optimizer
    /// state, LayerNorm, residual sums, the head and the loss in float32. About 2× faster training on CPUs with AVX-512 BF16
    /// or AMX and on Ampere or newer GPUs, with accuracy within a fraction of a point; slower where bfloat16 is emulated.
    /// The .zip keeps float32 tensors and records the precision. Default <see cref="global::Microsoft.ML.Lora.Precision.Float32"/>.
    /// </summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>
    /// Recompute activations in the backward pass instead of keeping them, for long sequences, large batches or large models
    /// that do not fit otherwise. <see cref="global::Microsoft.ML.Lora.GradientCheckpointing.Attention"/> recomputes each
    /// layer's attention block (about two thirds less activation memory for about a fifth more step time);
    /// <see cref="global::Microsoft.ML.Lora.GradientCheckpointing.Layers"/> whole layers, as Hugging Face's
    /// <c>gradient_checkpointing_enable</c> (least memory, a quarter to a half more step time). Same losses and gradients.
    /// Default <see cref="global::Microsoft.ML.Lora.GradientCheckpointing.None"/>.
    /// </summary>
    public GradientCheckpointing GradientCheckpointing { get; set; }

    /// <summary>libtorch intra-op threads; null = one per core.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Random seed for initialisation, shuffling and dropout; null = drawn from the MLContext (set its seed for reproducible runs).</summary>
    public int? Seed { get; set; }

    /// <summary>Folder for resumable checkpoints; a run with the same options and data continues from the last one. Null = none.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Also checkpoint every this many optimizer steps (besides every epoch end); 0 = only at epoch ends. Default 200.</summary>
    public int CheckpointEverySteps { get; set; } = 200;

    /// <summary>Receives progress (epoch, step, loss, learning rate, examples/s, ETA) every couple of seconds and at epoch ends.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Cancels training (<see cref="OperationCanceledException"/>; with a checkpoint folder the run can be resumed).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Rows per batch when scoring (Transform). Default 32.</summary>
    public int ScoringBatchSize { get; set; } = 32;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (<see cref="ArgumentOutOfRangeException"/> for numbers) naming the first invalid
    /// setting, its allowed range and the value given. Every number must be finite.
    /// </summary>
    public virtual void Validate()
    {
        if (BaseModel is null) throw new ArgumentException("BaseModel must be set.", nameof(BaseModel));
        if (Method is null) throw new ArgumentException("Method must be set.", nameof(Method));
        OptionChecks.InRange(Epochs, 1, int.MaxValue, nameof(Epochs));
        OptionChecks.InRange(BatchSize, 1, OptionChecks.MaxBatchSize, nameof(BatchSize));
        OptionChecks.InRange(ScoringBatchSize, 1, OptionChecks.MaxBatchSize, nameof(ScoringBatchSize));
        // AdamW moves each weight by about the learning rate per step: above 1 nothing trains (and libtorch overflows float).
        if (LearningRate is { } lr) OptionChecks.InRange(lr, 0, 1, nameof(LearningRate), minExclusive: true);
        OptionChecks.InRange(WeightDecay, 0, 1, nameof(WeightDecay));
        OptionChecks.InRange(WarmupFraction, 0, 1, nameof(WarmupFraction));
        OptionChecks.InRange(MaxGradNorm, 0, double.PositiveInfinity, nameof(MaxGradNorm));
        if (MaxSequenceLength is { } max) OptionChecks.InRange(max, 3, int.MaxValue, nameof(MaxSequenceLength));
        if (EarlyStoppingPatience is { } p) OptionChecks.InRange(p, 1, int.MaxValue, nameof(EarlyStoppingPatience));
        if (NumberOfThreads is { } threads) OptionChecks.InRange(threads, 1, 4096, nameof(NumberOfThreads));
        OptionChecks.InRange(CheckpointEverySteps, 0, int.MaxValue, nameof(CheckpointEverySteps));
        OptionChecks.FolderPath(CheckpointDirectory, nameof(CheckpointDirectory));
        if (!Enum.IsDefined(Device)) throw new ArgumentOutOfRangeException(nameof(Device), Device, $"Device {(int)Device} is not a ComputeDevice.");
        if (!Enum.IsDefined(Precision)) throw new ArgumentOutOfRangeException(nameof(Precision), Precision, $"Precision {(int)Precision} is not Float32 or BFloat16.");
        if (!Enum.IsDefined(GradientCheckpointing))
            throw new ArgumentOutOfRangeException(nameof(GradientCheckpointing), GradientCheckpointing, $"GradientCheckpointing {(int)GradientCheckpointing} is not None, Attention or Layers.");
    }
}
