import './index.css';
import './review.css';
