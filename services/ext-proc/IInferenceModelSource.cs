using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>Where the picker finds InferenceModels (options, the local pool file, or Kubernetes).</summary>
public interface IInferenceModelSource
{
    /// <summary>The InferenceModel whose ModelName (or resource Name) is <paramref name="name"/>, or null.</summary>
    InferenceModelSpec? Find(string name);
}
