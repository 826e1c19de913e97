"""Curricula: which env-config variant (task) each training env plays next."""

from metta_lit.curriculum.base import Curriculum
from metta_lit.curriculum.bucketed import BucketedCurriculum
from metta_lit.curriculum.learning_progress import LearningProgressCurriculum
from metta_lit.curriculum.tasks import Task, TaskSpace

__all__ = ["BucketedCurriculum", "Curriculum", "LearningProgressCurriculum", "Task", "TaskSpace"]
